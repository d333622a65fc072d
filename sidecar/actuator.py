"""The actuator endpoints, shaped like Spring Boot's: /actuator, health (and its probe groups), info,
prometheus. Only exposed endpoints are routed; any other is 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

import orjson
from fastapi import APIRouter, Request
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from starlette.responses import Response

from . import schemas
from .health import GROUP_MEMBERS, GROUPS, http_status
from .problems import HttpProblem
from .state import SidecarState

BASE_PATH: Final = "/actuator"

# Spring Boot answers its own media types to clients that ask for them (Spring Boot Admin does).
_ACTUATOR_TYPES: Final = (
    "application/vnd.spring-boot.actuator.v3+json",
    "application/vnd.spring-boot.actuator.v2+json",
)

_HEALTH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    200: schemas.json_body("Health", "UP (or UNKNOWN)."),
    503: schemas.json_body("Health", "DOWN or OUT_OF_SERVICE: the same JSON, saying which component."),
}


def actuator_router(state: SidecarState, registry: CollectorRegistry) -> APIRouter:
    """The actuator endpoints that `state.settings.exposed` names, plus the /actuator links page."""
    exposed = state.settings.exposed
    router = APIRouter(prefix=BASE_PATH, tags=["actuator"])

    @router.get(
        "",
        summary="Links to the exposed actuator endpoints",
        response_class=Response,
        responses={200: schemas.json_body("Links", "Spring Boot's discovery page.")},
    )
    async def links(request: Request) -> Response:
        base = str(request.base_url).rstrip("/") + BASE_PATH
        found: dict[str, dict[str, object]] = {"self": {"href": base, "templated": False}}
        if "health" in exposed:
            found["health"] = {"href": f"{base}/health", "templated": False}
            found["health-path"] = {"href": f"{base}/health/{{*path}}", "templated": True}
        for endpoint in ("info", "prometheus"):
            if endpoint in exposed:
                found[endpoint] = {"href": f"{base}/{endpoint}", "templated": False}
        for endpoint in ("refresh", "validate"):
            if endpoint in exposed and state.live is not None:
                found[endpoint] = {"href": f"{base}/{endpoint}", "templated": False}
        return _json(request, orjson.dumps({"_links": found}))

    if "health" in exposed:

        @router.get(
            "/health",
            summary="Health: the app's components and their aggregate status",
            response_class=Response,
            responses=_HEALTH_RESPONSES,
        )
        async def health(request: Request) -> Response:
            document = state.health.document()
            return _json(request, orjson.dumps(document), http_status(str(document["status"])))

        for group in GROUPS:
            router.add_api_route(
                f"/health/{group}",
                _group_endpoint(state, group),
                methods=["GET"],
                summary=f"Kubernetes {group} probe (Spring Boot's {group} group)",
                response_class=Response,
                responses=_HEALTH_RESPONSES,
            )
            # The links advertise `health/{*path}`: a group's member answers under the group, as in Spring.
            router.add_api_route(
                f"/health/{group}/{{component}}",
                _group_member_endpoint(state, group),
                methods=["GET"],
                summary=f"The {group} group's component ({GROUP_MEMBERS[group]})",
                response_class=Response,
                responses={
                    200: schemas.json_body("HealthComponent", "The component is UP."),
                    404: schemas.problem("The group holds no component of that name."),
                    503: schemas.json_body("HealthComponent", "The component is DOWN or OUT_OF_SERVICE."),
                },
            )

        @router.get(
            "/health/{component}",
            summary="Health of one component (chain, kafka, consumer, livenessState, readinessState...)",
            response_class=Response,
            responses={
                200: schemas.json_body("HealthComponent", "The component is UP."),
                404: schemas.problem("No component has that name."),
                422: schemas.problem("Not a component name."),
                503: schemas.json_body("HealthComponent", "The component is DOWN or OUT_OF_SERVICE."),
            },
        )
        async def health_component(request: Request, component: str) -> Response:
            components = state.health.components()
            found = components.get(component)
            if found is None:
                names = ", ".join(components)
                raise HttpProblem(404, f"There is no health component {component!r}; the components are {names}.")
            return _json(request, orjson.dumps(found), http_status(str(found["status"])))

    if "info" in exposed:

        @router.get(
            "/info",
            summary="The app, its stream, bindings and chain, and the runtime's versions",
            response_class=Response,
            responses={200: schemas.json_body("Info", "Secrets are masked as ******.")},
        )
        async def info(request: Request) -> Response:
            return _json(request, state.info_json)

    if "prometheus" in exposed:

        @router.get(
            "/prometheus",
            summary="Metrics in Prometheus' text format (OpenMetrics when asked for)",
            response_class=Response,
            responses={200: {"description": "The metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}}},
        )
        async def prometheus(request: Request) -> Response:
            encoder, content_type = choose_encoder(request.headers.get("accept", ""))
            return Response(encoder(registry), media_type=content_type)

    return router


def _group_endpoint(state: SidecarState, group: str) -> Callable[[Request], Awaitable[Response]]:
    async def probe(request: Request) -> Response:
        document = state.health.group(group)
        return _json(request, orjson.dumps(document), http_status(str(document["status"])))

    probe.__name__ = f"health_{group}"
    return probe


def _group_member_endpoint(state: SidecarState, group: str) -> Callable[[Request, str], Awaitable[Response]]:
    async def member(request: Request, component: str) -> Response:
        member_name = GROUP_MEMBERS[group]
        if component != member_name:
            raise HttpProblem(
                404, f"There is no component {component!r} in the {group} group: the {group} group holds {member_name}."
            )
        found = state.health.group(group)["components"][member_name]  # type: ignore[index]
        return _json(request, orjson.dumps(found), http_status(str(found["status"])))

    member.__name__ = f"health_{group}_member"
    return member


def _json(request: Request, body: str | bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=_negotiated(request.headers.get("accept")))


def _negotiated(accept: str | None) -> str:
    """The media type to answer, from the Accept header, as Spring's actuator negotiates: its own types when
    asked for, else JSON; 406 when the client accepts none of them (an unknown actuator version, say)."""
    if not accept:
        return "application/json"
    ranges = []
    for part in accept.split(","):
        media_range, _, params = part.strip().partition(";")
        if "q=0" in params.replace(" ", "") and not any(c in params for c in "123456789"):
            continue  # q=0: not acceptable
        ranges.append(media_range.strip().lower())
    for kind in _ACTUATOR_TYPES:
        if kind in ranges:
            return kind
    if any(r in ("application/json", "application/*", "*/*") for r in ranges):
        return "application/json"
    raise HttpProblem(
        406,
        f"None of the media types in Accept: {accept} is one the actuator answers: ask for "
        f"{', '.join(_ACTUATOR_TYPES)} or application/json (or send no Accept header).",
    )
