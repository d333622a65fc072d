"""`create_app`: the sidecar's FastAPI application, assembled from its parts."""

from __future__ import annotations

import contextlib
from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector
from starlette.types import ASGIApp, Receive, Scope, Send

from .actuator import actuator_router
from .chain import ChainVersion, RoutingChain
from .docs import install_docs
from .info import AppInfo
from .limits import RequestSizeLimit, RouteGate
from .metrics import HttpMetrics, HttpMetricsMiddleware
from .probe import PumpProbe
from .problems import install_problem_handlers
from .reconfigure import LiveConfiguration, reconfigure_router
from .route import route_router
from .schemas import COMPONENTS
from .settings import SidecarSettings
from .state import SidecarState

_DESCRIPTION: Final = """Routes timestamps to the `even` or `odd` binding, over a Kafka Connect-style
transform chain. `POST /route` tells what the chain does with a record, without Kafka; `/actuator/*` is
Spring Boot's actuator (health, probes, info, Prometheus metrics). Interactive docs: /docs."""


def create_app(
    chain: RoutingChain | None,
    *,
    info: AppInfo | None = None,
    settings: SidecarSettings | None = None,
    registry: CollectorRegistry | None = None,
    probe: PumpProbe | None = None,
    live: LiveConfiguration | None = None,
) -> FastAPI:
    """The sidecar app over `chain` (a `transforms.Chain`; None until it is loaded, see `set_chain`).

    `registry` is where the HTTP metrics go; pass the one the pump registers its metrics in (or
    `prometheus_client.REGISTRY` for the process metrics too) so that /actuator/prometheus shows them all.
    The default is a fresh registry. `probe` attaches a consume loop's health (see PumpProbe). `live` serves
    POST /actuator/refresh and /actuator/validate, when exposed (see LiveConfiguration).
    """
    settings = settings or SidecarSettings()
    info = info or AppInfo()
    registry = registry if registry is not None else CollectorRegistry()
    state = SidecarState(chain, info, settings, probe)
    state.live = live
    metrics = HttpMetrics(registry)
    _register_process_metrics(registry)

    app = FastAPI(
        title=info.name,
        version=info.version,
        description=_DESCRIPTION,
        docs_url=None,  # served by install_docs, with local assets
        redoc_url=None,
        openapi_url="/openapi.json" if "openapi" in settings.exposed else None,
    )
    app.state.sidecar = state
    install_problem_handlers(app)
    app.include_router(actuator_router(state, registry))
    if live is not None:
        app.include_router(reconfigure_router(live, settings.exposed))
    if settings.route_enabled:
        app.include_router(route_router(state, metrics))
    if {"openapi", "swagger-ui"} <= settings.exposed:
        install_docs(app)
    # Added last = outermost: the metrics time everything, the size limit's refusals included.
    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_size)
    app.add_middleware(RouteGate)
    app.add_middleware(_HeadAsGet)
    app.add_middleware(HttpMetricsMiddleware, metrics=metrics)

    def openapi() -> dict[str, Any]:
        # The bodies are parsed by hand (wire.py) for speed, so their schemas are added here, by name.
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            document.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _register_process_metrics(registry: CollectorRegistry) -> None:
    """`process_*` (memory, CPU, open files) and `python_info`, as Micrometer publishes the JVM's; once per
    registry (prometheus_client's default REGISTRY has them already)."""
    for collector in (ProcessCollector, PlatformCollector):
        with contextlib.suppress(ValueError):  # already registered there
            collector(registry=registry)


class _HeadAsGet:
    """ASGI middleware: HEAD is answered as GET (Spring does so for every GET mapping); uvicorn sends the
    status and headers without the body. A HEAD where only POST is mapped gets the 405 of a GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}
        await self.app(scope, receive, send)


def set_chain(app: FastAPI, chain: RoutingChain | None, version: ChainVersion | None = None) -> None:
    """Load (or replace) the chain of an app made by `create_app`; readiness turns UP once it is there.
    `version` (for /actuator/info) defaults to the next number, loaded now."""
    state: SidecarState = app.state.sidecar
    state.set_chain(chain, version)
