"""HTTP details where the sidecar answers as Spring Boot 3 does (issue 17, item 9)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from prometheus_client import CollectorRegistry
from sidecar_testing import INFO, LOOPBACK, default_chain

from sidecar import create_app


@pytest.mark.parametrize(
    "path", ["/actuator/health", "/actuator/health/liveness", "/actuator/info", "/actuator", "/actuator/prometheus"]
)
def test_head_answers_like_get_without_a_body(client: httpx.Client, path: str) -> None:
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def test_head_on_a_post_endpoint_is_405(client: httpx.Client) -> None:
    head = client.head("/route")
    assert head.status_code == 405
    assert head.headers["allow"] == "POST"


@pytest.mark.parametrize(("group", "component"), [("readiness", "readinessState"), ("liveness", "livenessState")])
def test_a_groups_member_answers_at_its_advertised_health_path(
    client: httpx.Client, group: str, component: str
) -> None:
    response = client.get(f"/actuator/health/{group}/{component}")
    assert response.status_code == 200
    assert response.json() == {"status": "UP"}
    missing = client.get(f"/actuator/health/{group}/chain")
    assert missing.status_code == 404
    assert f"the {group} group holds {component}" in missing.json()["message"]


def test_process_and_platform_metrics_are_published(serve: Callable[..., httpx.Client]) -> None:
    client = serve(create_app(default_chain(), info=INFO, settings=LOOPBACK, registry=CollectorRegistry()))
    text = client.get("/actuator/prometheus").text
    assert "process_resident_memory_bytes" in text
    assert "process_open_fds" in text
    assert "python_info{" in text


def test_an_unknown_actuator_version_is_406(client: httpx.Client) -> None:
    response = client.get("/actuator/health", headers={"accept": "application/vnd.spring-boot.actuator.v9+json"})
    assert response.status_code == 406
    message = response.json()["message"]
    assert "application/vnd.spring-boot.actuator.v9+json" in message
    assert "application/vnd.spring-boot.actuator.v3+json" in message and "application/json" in message
    for accept in ("*/*", "application/*", "text/html,application/xhtml+xml,*/*;q=0.8", "application/json"):
        assert client.get("/actuator/health", headers={"accept": accept}).status_code == 200, accept
    assert client.get("/actuator/info", headers={"accept": "text/html"}).status_code == 406


def test_a_declared_charset_is_decoded_as_declared(client: httpx.Client) -> None:
    body = '{"value": "05/17/19 17:56:36", "key": "caf\u00e9"}'.encode("latin-1")
    response = client.post("/route", content=body, headers={"content-type": "application/json; charset=latin-1"})
    assert response.status_code == 200
    assert response.json()["key"] == "caf\u00e9"
    batch = b'{"records": [' + body + b"]}"
    answer = client.post(
        "/route/batch", content=batch, headers={"content-type": "application/json; charset=ISO-8859-1"}
    )
    assert answer.json()["results"][0]["key"] == "caf\u00e9"


def test_an_unknown_charset_is_415_saying_what_is_accepted(client: httpx.Client) -> None:
    response = client.post("/route", content=b"{}", headers={"content-type": "application/json; charset=klingon"})
    assert response.status_code == 415
    assert response.json()["message"] == (
        "Content-Type application/json; charset=klingon names a charset this server does not know: "
        "send the JSON as UTF-8 (charset=utf-8, or none), or in a charset Python knows (latin-1, utf-16...)."
    )


@pytest.mark.parametrize("path", ["/route", "/route/batch"])
def test_a_duplicate_key_is_refused_naming_it(client: httpx.Client, path: str) -> None:
    record = '{"value": "05/17/19 17:56:36", "value": "05/17/19 17:56:37"}'
    body = record if path == "/route" else '{"records": [' + record + "]}"
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert 'The key "value" appears twice in one object' in response.json()["message"]


def test_a_huge_number_is_quoted_exactly_as_sent(client: httpx.Client) -> None:
    response = client.post(
        "/route",
        content=b'{"value": "x", "partition": 100000000000000000000000}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "not a number 100000000000000000000000." in response.json()["message"]


def test_deep_nesting_with_a_space_is_refused_not_a_crash(client: httpx.Client) -> None:
    body = b'{"value": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    response = client.post("/route", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
