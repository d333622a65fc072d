"""POST /actuator/refresh and /actuator/validate: Spring Cloud's refresh (re-read the configuration, swap in
the reloaded chain, answer the keys that changed) and a check of properties before they are deployed.

The work is the entry point's (a LiveConfiguration); the sidecar only serves it. Neither endpoint is exposed
unless named in management.endpoints.web.exposure.include, as in Spring Boot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

import anyio.to_thread
import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from transforms import parse_properties
from transforms.errors import ConfigError

from . import schemas
from .problems import HttpProblem

REFRESH: Final = "refresh"
VALIDATE: Final = "validate"


class LiveConfiguration(Protocol):
    """What the entry point offers to change or check the configuration of the running app."""

    def refresh(self) -> Sequence[str]:
        """Re-read the configuration as at start (the chain file, the properties files) and swap in the chain
        when it changed, between two batches. The keys that changed; ConfigError listing every problem when
        the change is invalid or needs a restart (the running chain stays)."""
        ...

    def validate(self, properties: Mapping[str, str]) -> Mapping[str, object]:
        """Resolve the configuration as a start would, with `properties` laid over the running app's: what
        would run (bindings, chain); ConfigError listing every problem. Changes nothing."""
        ...


_REFRESH_DOC: Final = """Re-read the configuration as at start: the chain file (router.chain.location) and the
properties files, then rebuild and check the chain. When it is valid it replaces the running chain between
two batches, for the pump and /route alike, and the answer is the JSON array of the keys that changed, as
Spring Cloud's refresh answers (`[]`: nothing changed). An invalid change, or one that needs a restart
(bindings, group, brokers, any setting but transforms.* and predicates.*), answers 400 with every problem;
the running chain stays."""

_VALIDATE_DOC: Final = """Check properties before deploying them: the body's properties (Java `.properties` text,
or a flat JSON object) are laid over the running app's, and everything is resolved as a start would resolve
it (the chain is built, the Kafka client settings are checked; nothing connects). 200 with what would run,
or 400 with every problem. An empty body checks the running configuration as it is."""

_PROBLEMS: Final = schemas.problem("The configuration is invalid: `problems` lists every problem, one line each.")


def reconfigure_router(live: LiveConfiguration, exposed: frozenset[str]) -> APIRouter:
    """The exposed ones of POST /actuator/refresh and /actuator/validate, over `live`."""
    router = APIRouter(prefix="/actuator", tags=["actuator"])

    if REFRESH in exposed:

        @router.post(
            f"/{REFRESH}",
            summary="Reload the configuration and the chain (Spring Cloud's refresh)",
            description=_REFRESH_DOC,
            response_class=Response,
            responses={
                200: {
                    "description": "The keys that changed.",
                    "content": {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}},
                },
                400: _PROBLEMS,
            },
        )
        async def refresh() -> Response:
            try:
                changed = await anyio.to_thread.run_sync(live.refresh)
            except ConfigError as error:
                raise _refused(error, "The configuration was not reloaded; the running chain is unchanged") from None
            return Response(orjson.dumps(list(changed)), media_type="application/json")

    if VALIDATE in exposed:

        @router.post(
            f"/{VALIDATE}",
            summary="Check properties as a start would, without applying them",
            description=_VALIDATE_DOC,
            response_class=Response,
            responses={200: {"description": "What would run: bindings, group, brokers, chain."}, 400: _PROBLEMS},
            openapi_extra={
                "requestBody": {
                    "required": False,
                    "content": {
                        "text/plain": {
                            "schema": {"type": "string"},
                            "example": "transforms.parity.unit=minutes\nerrors.tolerance=all\n",
                        },
                        "application/json": {
                            "schema": {"type": "object", "additionalProperties": {"type": "string"}},
                            "example": {"transforms.parity.unit": "minutes"},
                        },
                    },
                }
            },
        )
        async def validate(request: Request) -> Response:
            properties = _properties(request.headers.get("content-type", ""), await request.body())
            try:
                answer = await anyio.to_thread.run_sync(live.validate, properties)
            except ConfigError as error:
                raise _refused(error, "The configuration is invalid") from None
            return Response(orjson.dumps(answer, default=str), media_type="application/json")

    return router


def _refused(error: ConfigError, what: str) -> HttpProblem:
    count = len(error.problems)
    return HttpProblem(
        400, f"{what}: {count} problem{'s' if count != 1 else ''}, listed in `problems`.", error.problems
    )


def _properties(content_type: str, body: bytes) -> dict[str, str]:
    """The body's properties: a flat JSON object, or Java .properties text (any other content type)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpProblem(400, "The body is not UTF-8 text: send .properties text or a JSON object.") from None
    if not content_type.split(";")[0].strip().lower().endswith("json"):
        return parse_properties(text)
    try:
        document: Any = orjson.loads(text or "{}")
    except orjson.JSONDecodeError as why:
        raise HttpProblem(400, f"The body is not valid JSON ({why}): send a flat object of properties.") from None
    if not isinstance(document, dict) or any(isinstance(v, dict | list) for v in document.values()):
        raise HttpProblem(400, 'Send a flat JSON object of properties: {"transforms.parity.unit": "minutes"}.')
    return {str(k): _text(v) for k, v in document.items()}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
