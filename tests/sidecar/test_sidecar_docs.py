"""The interactive docs work offline: /docs references only the app's own URLs, and each of them answers."""

from __future__ import annotations

import re

import httpx


def test_docs_page_uses_only_local_assets_that_answer(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:href|src)="([^"]+)"|url: '([^']+)'""", page.text)
    referenced = {href or url for href, url in urls}
    assert referenced == {
        "/docs/assets/swagger-ui.css",
        "/docs/assets/favicon.png",
        "/docs/assets/swagger-ui-bundle.js",
        "/openapi.json",
    }
    assert "//" not in page.text.replace("<!--", "")  # no scheme-relative or absolute URL: nothing off the machine
    for url in referenced:
        assert client.get(url).status_code == 200, url


def test_the_schema_describes_every_endpoint(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    assert operations == {
        ("GET", "/actuator"),
        ("GET", "/actuator/health"),
        ("GET", "/actuator/health/liveness"),
        ("GET", "/actuator/health/readiness"),
        ("GET", "/actuator/health/liveness/{component}"),
        ("GET", "/actuator/health/readiness/{component}"),
        ("GET", "/actuator/health/{component}"),
        ("GET", "/actuator/info"),
        ("GET", "/actuator/prometheus"),
        ("POST", "/route"),
        ("POST", "/route/batch"),
    }
    route = schema["paths"]["/route"]["post"]
    assert set(route["requestBody"]["content"]) == {"application/json", "text/plain", "application/octet-stream"}
    assert route["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RouteResult"
    }
    assert {"RecordIn", "RouteResult", "BatchIn", "BatchResult", "Problem"} <= schema["components"]["schemas"].keys()
