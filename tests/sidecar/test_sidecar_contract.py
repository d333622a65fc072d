"""Contract tests: httpx against a real uvicorn server on a loopback port, every endpoint and error case."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Callable

import httpx
import pytest
from prometheus_client import CollectorRegistry
from sidecar_testing import BINDINGS, INFO, default_chain

from sidecar import SidecarServer, SidecarSettings, create_app, set_chain
from transforms.record import Record

EVEN = "05/17/19 17:56:36"
ODD = "05/17/19 17:56:37"
TEXT = {"content-type": "text/plain"}
JSON = {"content-type": "application/json"}

ROUTE_RESULT_FIELDS = {
    "status",
    "topic",
    "partition",
    "key",
    "key_base64",
    "value",
    "value_base64",
    "headers",
    "timestamp",
    "error",
    "dead_letter_topic",
}


def assert_problem(response: httpx.Response, status: int, *fragments: str) -> dict[str, object]:
    """A refusal: the status, Spring's error JSON with an actionable message, and no trace of internals."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == status
    assert body["error"]
    assert body["path"] == response.request.url.path
    for fragment in fragments:
        assert fragment in body["message"], body["message"]
    assert "Traceback" not in response.text
    assert ".py" not in response.text
    return body  # type: ignore[no-any-return]


# --- /actuator -------------------------------------------------------------------------------------------


def test_links_list_the_exposed_endpoints_with_absolute_urls(
    client: httpx.Client, default_server: tuple[SidecarServer, CollectorRegistry]
) -> None:
    response = client.get("/actuator")
    assert response.status_code == 200
    base = f"{default_server[0].url}/actuator"
    assert response.json() == {
        "_links": {
            "self": {"href": base, "templated": False},
            "health": {"href": f"{base}/health", "templated": False},
            "health-path": {"href": f"{base}/health/{{*path}}", "templated": True},
            "info": {"href": f"{base}/info", "templated": False},
            "prometheus": {"href": f"{base}/prometheus", "templated": False},
        }
    }


def test_health_is_springs_json_with_a_component_per_concern(client: httpx.Client) -> None:
    response = client.get("/actuator/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "UP",
        "components": {
            "chain": {
                "status": "UP",
                "details": {"stages": 3, "errorsTolerance": "all", "deadLetterTopic": "timeDest.dlq"},
            },
            "livenessState": {"status": "UP"},
            "readinessState": {"status": "UP"},
        },
        "groups": ["liveness", "readiness"],
    }


@pytest.mark.parametrize(("group", "component"), [("liveness", "livenessState"), ("readiness", "readinessState")])
def test_probe_groups(client: httpx.Client, group: str, component: str) -> None:
    response = client.get(f"/actuator/health/{group}")
    assert response.status_code == 200
    assert response.json() == {"status": "UP", "components": {component: {"status": "UP"}}}


def test_one_component_by_name_and_an_unknown_one(client: httpx.Client) -> None:
    assert client.get("/actuator/health/chain").json()["status"] == "UP"
    assert_problem(
        client.get("/actuator/health/kafka"),
        404,
        "There is no health component 'kafka'; the components are chain, livenessState, readinessState.",
    )


def test_info_tells_app_stream_bindings_chain_and_versions(client: httpx.Client) -> None:
    response = client.get("/actuator/info")
    assert response.status_code == 200
    info = response.json()
    assert info["app"]["name"] == "python-router"
    assert info["app"]["version"]
    assert info["stream"] == {"name": "timeStream", "appLabel": "python-router"}
    assert info["bindings"] == BINDINGS
    assert [(s["alias"], s["type"]) for s in info["chain"]] == [
        ("parity", "TimestampParityRouter"),
        ("labelEven", "ValueTemplate"),
        ("labelOdd", "ValueTemplate"),
    ]
    assert info["errors"] == {"tolerance": "all", "deadLetterTopic": "timeDest.dlq"}
    assert {"python", "kafka-python", "crc32c"} <= info["runtime"].keys()
    assert info["runtime"]["kafka-python"].startswith("3.")


def test_info_never_shows_a_secret(client: httpx.Client) -> None:
    response = client.get("/actuator/info")
    assert response.json()["kafka"] == {"brokers": "localhost:9092", "sasl.jaas.config": "******"}
    assert "password=p" not in response.text


def test_actuator_media_type_is_given_to_who_asks(client: httpx.Client) -> None:
    v3 = "application/vnd.spring-boot.actuator.v3+json"
    assert client.get("/actuator/health", headers={"accept": v3}).headers["content-type"] == v3
    assert client.get("/actuator/info").headers["content-type"] == "application/json"


def test_prometheus_counts_requests_by_uri_template_and_records_by_result(client: httpx.Client) -> None:
    client.post("/route", content=EVEN, headers=TEXT)
    client.post("/route", content="not a time", headers=TEXT)
    client.get("/actuator/health/chain")
    response = client.get("/actuator/prometheus")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert (
        'http_server_requests_seconds_count{exception="none",method="POST",outcome="SUCCESS",status="200",'
        'uri="/route"}' in text
    )
    assert 'uri="/actuator/health/{component}"' in text  # the template, not the path
    assert "# TYPE http_server_requests_seconds histogram" in text
    assert 'python_router_route_records_total{status="routed"}' in text
    assert 'python_router_route_records_total{status="failed"}' in text


def test_prometheus_speaks_openmetrics_when_asked(client: httpx.Client) -> None:
    response = client.get("/actuator/prometheus", headers={"accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


# --- POST /route -----------------------------------------------------------------------------------------


def test_a_bare_text_value_is_routed_by_parity(client: httpx.Client) -> None:
    even = client.post("/route", content=EVEN, headers=TEXT)
    assert even.status_code == 200
    assert even.headers["content-type"] == "application/json"
    assert even.json() == {
        "status": "routed",
        "topic": "evenDest",
        "partition": None,
        "key": None,
        "key_base64": None,
        "value": f"Even timestamp: {EVEN}",
        "value_base64": None,
        "headers": [],
        "timestamp": None,
        "error": None,
        "dead_letter_topic": None,
    }
    odd = client.post("/route", content=ODD, headers=TEXT).json()
    assert (odd["topic"], odd["value"]) == ("oddDest", f"Odd timestamp: {ODD}")


def test_curls_default_form_content_type_and_no_content_type_are_the_bare_value(client: httpx.Client) -> None:
    form = client.post("/route", content=EVEN, headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.json()["topic"] == "evenDest"
    bare = client.post("/route", content=ODD.encode())
    assert bare.json()["topic"] == "oddDest"
    octets = client.post("/route", content=EVEN, headers={"content-type": "application/octet-stream"})
    assert octets.json()["topic"] == "evenDest"


def test_a_json_record_keeps_its_key_headers_and_timestamp(client: httpx.Client) -> None:
    response = client.post(
        "/route",
        json={
            "value": ODD,
            "key_base64": base64.b64encode(b"\x00\xff").decode(),
            "headers": [{"key": "contentType", "value": "text/plain"}, {"key": "raw", "value_base64": "/w=="}],
            "partition": 2,
            "offset": 7,
            "timestamp": 1558115797000,
        },
    )
    assert response.status_code == 200
    result = response.json()
    assert result["status"] == "routed"
    assert result["topic"] == "oddDest"
    assert result["value"] == f"Odd timestamp: {ODD}"
    assert (result["key"], result["key_base64"]) == (None, "AP8=")
    assert result["headers"] == [
        {"key": "contentType", "value": "text/plain", "value_base64": None},
        {"key": "raw", "value": None, "value_base64": "/w=="},
    ]
    assert (result["partition"], result["timestamp"]) == (2, 1558115797000)
    assert result.keys() == ROUTE_RESULT_FIELDS


def test_the_recipes_crashing_values_are_handled(client: httpx.Client) -> None:
    for value in (f'"{EVEN}"', "2019-05-17T17:56:36Z", f"{EVEN}\n"):
        assert client.post("/route", json={"value": value}).json()["topic"] == "evenDest", value


def test_a_tombstone_is_dropped(client: httpx.Client) -> None:
    result = client.post("/route", json={"value": None, "key": "k"}).json()
    assert result["status"] == "dropped"
    assert result["topic"] is None
    assert result["value"] is None


def test_a_value_that_is_no_timestamp_fails_with_where_why_and_the_dead_letter_topic(client: httpx.Client) -> None:
    response = client.post("/route", content="not a time", headers=TEXT)
    assert response.status_code == 200
    result = response.json()
    assert result["status"] == "failed"
    assert result["topic"] is None
    assert result["dead_letter_topic"] == "timeDest.dlq"
    error = result["error"]
    assert (error["stage"], error["alias"], error["class_name"]) == (
        "TRANSFORMATION",
        "parity",
        "transforms.builtin.timestamp_parity_router.TimestampParityRouter",
    )
    assert error["exception_class"] == "transforms.errors.DataError"
    assert "not a time" in error["message"]
    assert error["retriable"] is False
    assert "Traceback" not in response.text


def test_without_tolerance_there_is_no_dead_letter_topic(serve: Callable[..., httpx.Client]) -> None:
    strict = default_chain({"errors.tolerance": "none"})
    client = serve(create_app(strict, info=INFO, settings=SidecarSettings(host="127.0.0.1", port=0)))
    result = client.post("/route", content="not a time", headers=TEXT).json()
    assert (result["status"], result["dead_letter_topic"]) == ("failed", None)


# --- POST /route/batch -----------------------------------------------------------------------------------


def test_a_batch_answers_in_order(client: httpx.Client) -> None:
    records = [{"value": EVEN}, {"value": "nope"}, {"value": None}, {"value": ODD, "key": "k"}]
    response = client.post("/route/batch", json={"records": records})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["routed", "failed", "dropped", "routed"]
    assert [r["topic"] for r in results] == ["evenDest", None, None, "oddDest"]
    assert results[3]["key"] == "k"
    assert all(r.keys() == ROUTE_RESULT_FIELDS for r in results)


def test_a_batch_of_500_is_one_request(client: httpx.Client) -> None:
    records = [{"value": f"05/17/19 17:56:{i % 60:02d}", "key": f"k{i}"} for i in range(500)]
    response = client.post("/route/batch", json={"records": records})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 500
    assert [r["key"] for r in results] == [f"k{i}" for i in range(500)]
    assert [r["topic"] for r in results[:2]] == ["evenDest", "oddDest"]


def test_an_empty_batch(client: httpx.Client) -> None:
    assert client.post("/route/batch", json={"records": []}).json() == {"results": [], "bindings": BINDINGS}


def test_a_batch_with_invalid_records_is_refused_naming_each(client: httpx.Client) -> None:
    response = client.post("/route/batch", json={"records": [{"value": EVEN}, {"value": 5}, {"topic": 1}]})
    body = assert_problem(response, 422, "The batch has invalid records: records[1].value must be a string or null")
    assert [p.split(" ")[0] for p in body["problems"]] == ["records[1].value", "records[2].topic"]


# --- bad input: always a 4xx with a message, never a 500 --------------------------------------------------


def test_malformed_json_is_400_with_the_position(client: httpx.Client) -> None:
    assert_problem(
        client.post("/route", content='{"value": 05/17}', headers=JSON),
        400,
        "The body is not valid JSON:",
        "line 1, column 11",
    )
    assert_problem(client.post("/route/batch", content="{", headers=JSON), 400, "The body is not valid JSON:")
    assert_problem(client.post("/route", content="", headers=JSON), 400, "The body is empty.")


def test_a_wrong_field_type_is_422_saying_what_to_send(client: httpx.Client) -> None:
    assert_problem(
        client.post("/route", json={"value": 1558115796}),
        422,
        "record.value must be a string or null, not a number 1558115796; send numbers as text",
    )
    assert_problem(client.post("/route", json={"valeu": EVEN}), 422, 'unknown field "valeu"')
    assert_problem(client.post("/route", json=[EVEN]), 422, "must be a JSON object")


def test_a_body_over_the_limit_is_413_whether_declared_or_streamed(serve: Callable[..., httpx.Client]) -> None:
    settings = SidecarSettings(host="127.0.0.1", port=0, max_request_size=4096)
    client = serve(create_app(default_chain(), info=INFO, settings=settings), settings)
    too_big = "x" * 5000
    assert_problem(
        client.post("/route", content=too_big, headers=TEXT),
        413,
        "The request body is 5000 bytes, over the limit of 4096 bytes (server.max-request-size)",
    )

    def chunks() -> object:
        for _ in range(5):
            yield b"x" * 1000

    streamed = client.post("/route/batch", content=chunks(), headers=JSON)  # chunked: no Content-Length
    assert "content-length" not in streamed.request.headers
    assert_problem(streamed, 413, "The request body is more than 4096 bytes")
    assert client.post("/route", content=EVEN, headers=TEXT).status_code == 200  # the server goes on
    metrics = client.get("/actuator/prometheus").text
    assert 'outcome="CLIENT_ERROR",status="413",uri="/route"}' in metrics  # counted under its route


def test_a_wrong_content_type_is_415_naming_the_right_ones(client: httpx.Client) -> None:
    assert_problem(
        client.post("/route", content="<v/>", headers={"content-type": "application/xml"}),
        415,
        "Content-Type application/xml is not accepted here. Send application/json (a RecordIn), text/plain",
    )
    assert_problem(client.post("/route/batch", content=EVEN, headers=TEXT), 415, "Send application/json")
    assert_problem(client.post("/route/batch", content=b"{}"), 415, "Content-Type (none) is not accepted")


def test_unknown_paths_and_methods_are_json_404_and_405(client: httpx.Client) -> None:
    assert_problem(client.get("/nothing"), 404, "There is no GET /nothing here.")
    response = client.get("/route")
    assert_problem(response, 405, "GET is not allowed on /route: use POST.")
    assert response.headers["allow"] == "POST"


def test_a_json_content_type_with_parameters_or_suffix_is_json(client: httpx.Client) -> None:
    body = json.dumps({"value": EVEN})
    for content_type in ("application/json; charset=utf-8", "application/vnd.record+json"):
        response = client.post("/route", content=body, headers={"content-type": content_type})
        assert response.json()["topic"] == "evenDest", content_type


def test_a_chain_that_crashes_is_a_500_without_a_trace(serve: Callable[..., httpx.Client]) -> None:
    class Crashing:
        errors = default_chain().errors
        stages = ()

        def describe(self) -> list[dict[str, object]]:
            return []

        def apply(self, record: Record) -> Record | None:
            raise RuntimeError("/secret/path.py line 3")

    client = serve(create_app(Crashing(), info=INFO, settings=SidecarSettings(host="127.0.0.1", port=0)))
    response = client.post("/route", content=EVEN, headers=TEXT)
    assert response.status_code == 500
    assert response.json()["message"].startswith("The sidecar failed on this request (RuntimeError)")
    assert "/secret/path.py" not in response.text


# --- the chain loads after the app ------------------------------------------------------------------------


def test_until_the_chain_is_loaded_readiness_is_out_of_service_and_route_503(
    serve: Callable[..., httpx.Client],
) -> None:
    app = create_app(None, info=INFO, settings=SidecarSettings(host="127.0.0.1", port=0))
    client = serve(app)
    readiness = client.get("/actuator/health/readiness")
    assert readiness.status_code == 503
    assert readiness.json()["status"] == "OUT_OF_SERVICE"
    assert client.get("/actuator/health/liveness").status_code == 200
    assert client.get("/actuator/health").status_code == 503
    refused = client.post("/route", content=EVEN, headers=TEXT)
    assert_problem(refused, 503, "The routing chain is not loaded yet")
    assert refused.headers["retry-after"] == "1"
    assert client.get("/actuator/info").json()["chain"] == []

    set_chain(app, default_chain())
    assert client.get("/actuator/health/readiness").status_code == 200
    assert client.post("/route", content=EVEN, headers=TEXT).json()["topic"] == "evenDest"
    assert len(client.get("/actuator/info").json()["chain"]) == 3


# --- serving ----------------------------------------------------------------------------------------------


def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = create_app(default_chain())
        with pytest.raises(OSError, match=rf"Cannot listen on 127.0.0.1:{port} \(server.address, server.port\)"):
            SidecarServer(app, SidecarSettings(host="127.0.0.1", port=port))


def test_the_server_stops_and_frees_its_port() -> None:
    server = SidecarServer(create_app(default_chain()), SidecarSettings(host="127.0.0.1", port=0))
    server.start()
    assert httpx.get(f"{server.url}/actuator/health/liveness").status_code == 200
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/actuator/health/liveness")
