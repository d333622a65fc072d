"""Which endpoints are served: Spring's management.endpoints.web.exposure.* and router.route.enabled."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sidecar_testing import INFO, default_chain

from sidecar import SidecarSettings, create_app


def started(serve: Callable[..., httpx.Client], properties: dict[str, str]) -> httpx.Client:
    settings = SidecarSettings.from_properties({"server.address": "127.0.0.1", "server.port": "0", **properties})
    return serve(create_app(default_chain(), info=INFO, settings=settings), settings)


def test_only_health_exposed(serve: Callable[..., httpx.Client]) -> None:
    client = started(serve, {"management.endpoints.web.exposure.include": "health"})
    assert client.get("/actuator/health").status_code == 200
    assert client.get("/actuator/health/liveness").status_code == 200
    assert client.get("/actuator/info").status_code == 404
    assert client.get("/actuator/prometheus").status_code == 404
    assert set(client.get("/actuator").json()["_links"]) == {"self", "health", "health-path"}
    # As springdoc's endpoints are actuator endpoints (openapi, swagger-ui) when exposure is limited.
    assert client.get("/openapi.json").status_code == 404
    assert client.get("/docs").status_code == 404
    assert client.get("/docs/assets/swagger-ui.css").status_code == 404


def test_the_api_docs_are_exposed_by_their_ids(serve: Callable[..., httpx.Client]) -> None:
    client = started(serve, {"management.endpoints.web.exposure.include": "health,openapi,swagger-ui"})
    paths = client.get("/openapi.json").json()["paths"]
    assert "/actuator/health" in paths
    assert "/actuator/info" not in paths
    assert "/actuator/prometheus" not in paths
    assert client.get("/docs").status_code == 200


def test_everything_but_health(serve: Callable[..., httpx.Client]) -> None:
    client = started(
        serve,
        {"management.endpoints.web.exposure.include": "*", "management.endpoints.web.exposure.exclude": "health"},
    )
    assert client.get("/actuator/health").status_code == 404
    assert client.get("/actuator/health/readiness").status_code == 404
    assert client.get("/actuator/info").status_code == 200
    assert client.get("/actuator/prometheus").status_code == 200
    assert set(client.get("/actuator").json()["_links"]) == {"self", "info", "prometheus"}


def test_route_turned_off_for_a_pump_only_deployment(serve: Callable[..., httpx.Client]) -> None:
    client = started(serve, {"router.route.enabled": "false"})
    response = client.post("/route", content="05/17/19 17:56:36", headers={"content-type": "text/plain"})
    assert response.status_code == 404
    assert response.json()["message"].startswith("There is no POST /route here.")
    assert client.post("/route/batch", json={"records": []}).status_code == 404
    assert not any(path.startswith("/route") for path in client.get("/openapi.json").json()["paths"])
    assert client.get("/actuator/health").status_code == 200
