"""Remote classification: the same outcomes as the in-process chain through the real sidecar app, and the
sidecar's absence or refusal handled without losing a record."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
import pytest

from pump import ChainClassifier, ClassifierUnavailable, RemoteClassifier
from sidecar import AppInfo, SidecarServer, SidecarSettings, create_app
from transforms import Record, build_chain, parse_properties
from transforms.errors import Failure

ROOT = Path(__file__).resolve().parents[2]
BINDINGS = {"input": "timeDest", "even": "evenDest", "odd": "oddDest"}
CHAIN = build_chain(parse_properties((ROOT / "connect-config/router.properties").read_text()), bindings=BINDINGS)

RECORDS = [
    Record("timeDest", b"05/17/19 17:56:36", key=b"k1", partition=0, offset=0, timestamp=1),
    Record("timeDest", b"05/17/19 17:56:37", headers=(("contentType", b'"application/json"'),), partition=0, offset=1),
    Record("timeDest", b'"05/17/19 17:56:38"', key=b"\xff\x00", partition=1, offset=5, timestamp=2**40),
    Record("timeDest", b"", partition=0, offset=2),
    Record("timeDest", None, key=b"gone", partition=0, offset=3),
    Record("timeDest", b"\x00\xffbinary", headers=(("bin", b"\xfe"),), partition=0, offset=4),
    Record("timeDest", "2019-05-17T17:56:39Z \u00e9".encode(), partition=0, offset=6),
]


def without_stacktrace(outcome: object) -> object:
    """The wire format carries no stack trace; everything else must be equal."""
    return dataclasses.replace(outcome, stacktrace=None) if isinstance(outcome, Failure) else outcome


def test_the_sidecar_gives_the_same_outcomes_as_the_in_process_chain() -> None:
    settings = SidecarSettings(host="127.0.0.1", port=0)
    server = SidecarServer(create_app(CHAIN, info=AppInfo(bindings=BINDINGS), settings=settings), settings)
    server.start()
    remote = RemoteClassifier(server.url, BINDINGS)
    try:
        assert remote.classify(RECORDS) == [without_stacktrace(o) for o in ChainClassifier(CHAIN).classify(RECORDS)]
        assert remote.health() == {"remoteRouter": {"status": "UP", "details": {"url": server.url + "/route/batch"}}}
    finally:
        remote.close()
        server.stop()


def test_batches_are_split_to_stay_under_the_sidecars_request_limit() -> None:
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sizes.append(len(request.content))
        records = json.loads(request.content)["records"]
        return httpx.Response(200, json={"results": [{"status": "dropped"} for _ in records], "bindings": BINDINGS})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    remote = RemoteClassifier("http://sidecar:8080/", BINDINGS, client=client, max_request_bytes=2000)
    outcomes = remote.classify([Record("t", b"x" * 300, offset=i) for i in range(20)])
    assert outcomes == [None] * 20
    assert len(sizes) > 1 and all(size <= 2000 + 20 for size in sizes)


def test_an_unreachable_sidecar_is_unavailable_and_reported_down() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused")

    remote = RemoteClassifier(
        "http://127.0.0.1:9", BINDINGS, client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    with pytest.raises(ClassifierUnavailable, match=r"The sidecar at http://127.0.0.1:9/route/batch cannot be reached"):
        remote.classify(RECORDS[:1])
    component = remote.health()["remoteRouter"]
    assert component["status"] == "DOWN"
    assert "Connection refused" in str(component["details"])


def test_a_sidecar_that_is_not_ready_is_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"detail": "The routing chain is not loaded yet."})

    remote = RemoteClassifier("http://sidecar", BINDINGS, client=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(ClassifierUnavailable, match=r"answered 503: The routing chain is not loaded yet\."):
        remote.classify(RECORDS[:1])


def test_a_record_the_sidecar_refuses_fails_alone() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        records = json.loads(request.content)["records"]
        if any(r["value"] == "huge" for r in records):
            return httpx.Response(413, json={"detail": "The request body is over the limit."})
        return httpx.Response(200, json={"results": [{"status": "dropped"} for _ in records], "bindings": BINDINGS})

    remote = RemoteClassifier("http://sidecar", BINDINGS, client=httpx.Client(transport=httpx.MockTransport(handler)))
    outcomes = remote.classify([Record("t", b"a"), Record("t", b"huge"), Record("t", b"b"), Record("t", b"c")])
    assert outcomes[0] is None and outcomes[2:] == [None, None]
    refused = outcomes[1]
    assert isinstance(refused, Failure)
    assert (refused.stage, refused.exception_class) == ("ROUTE_REQUEST", "HTTP 413")
    assert refused.message == "the sidecar refused the record: The request body is over the limit."


def test_an_answer_in_another_format_is_unavailable_with_a_hint() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>proxy</html>")

    remote = RemoteClassifier("http://sidecar", BINDINGS, client=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(ClassifierUnavailable, match=r"router\.url points at python-router's sidecar"):
        remote.classify(RECORDS[:1])


def test_a_password_in_the_sidecars_url_is_masked_in_messages_and_health() -> None:
    remote = RemoteClassifier("http://router:Pa55-w0rd@127.0.0.1:9", BINDINGS)
    assert remote.shown_url == "http://router:******@127.0.0.1:9/route/batch"
    assert "Pa55-w0rd" not in str(remote.health())
    with pytest.raises(ClassifierUnavailable) as unreachable:
        remote.classify([Record(topic="timeDest", value=b"05/17/19 17:56:36")])
    assert "Pa55-w0rd" not in str(unreachable.value)
    remote.close()


def test_batches_are_split_to_stay_under_the_sidecars_record_cap() -> None:
    counts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        records = json.loads(request.content)["records"]
        counts.append(len(records))
        return httpx.Response(200, json={"results": [{"status": "dropped"} for _ in records], "bindings": BINDINGS})

    remote = RemoteClassifier("http://sidecar", BINDINGS, client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert remote.classify([Record("t", b"x", offset=i) for i in range(2500)]) == [None] * 2500
    assert counts == [1000, 1000, 500]


OTHER_BINDINGS = {"input": "p_in", "even": "p_even", "odd": "p_odd"}
PUMP_BINDINGS = {"input": "q_in", "even": "q_even", "odd": "q_odd"}
MISMATCH = (
    r"The sidecar at http://127\.0\.0\.1:\d+/route/batch routes for bindings input->p_in, even->p_even, "
    r"odd->p_odd, but this pump's are input->q_in, even->q_even, odd->q_odd: refusing to route through it "
    r"\(its records would go to the sidecar's destinations\)\. Give both containers the same "
    r"spring\.cloud\.stream\.bindings\.<name>\.destination properties\."
)


def test_a_sidecar_configured_for_other_bindings_is_refused_at_startup_and_on_every_answer() -> None:
    settings = SidecarSettings(host="127.0.0.1", port=0)
    chain = build_chain(
        parse_properties((ROOT / "connect-config/router.properties").read_text()), bindings=OTHER_BINDINGS
    )
    server = SidecarServer(create_app(chain, info=AppInfo(bindings=OTHER_BINDINGS), settings=settings), settings)
    server.start()
    remote = RemoteClassifier(server.url, PUMP_BINDINGS)
    try:
        with pytest.raises(ClassifierUnavailable, match=MISMATCH):
            remote.check()
        component = remote.health()["remoteRouter"]
        assert component["status"] == "DOWN"
        assert "p_even" in str(component["details"]) and "q_even" in str(component["details"])
        with pytest.raises(ClassifierUnavailable, match=MISMATCH):
            remote.classify([Record("q_in", b"05/17/19 17:56:36", partition=0, offset=0)])
    finally:
        remote.close()
        server.stop()


def test_a_sidecar_that_does_not_tell_its_bindings_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"results": []})

    remote = RemoteClassifier("http://sidecar", BINDINGS, client=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(ClassifierUnavailable, match=r"does not say which bindings it routes for .* same version"):
        remote.check()
