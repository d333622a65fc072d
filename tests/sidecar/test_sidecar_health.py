"""Health with a pump attached: readiness waits for the group, liveness watches the loop's progress."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sidecar_testing import INFO, LOOPBACK, FakeProbe, default_chain

from sidecar import SidecarSettings, create_app


@pytest.fixture
def probe() -> FakeProbe:
    return FakeProbe()


@pytest.fixture
def client(serve: Callable[..., httpx.Client], probe: FakeProbe) -> httpx.Client:
    settings = SidecarSettings(host="127.0.0.1", port=0, liveness_timeout_s=30)
    return serve(create_app(default_chain(), info=INFO, settings=settings, probe=probe), LOOPBACK)


def status(client: httpx.Client, path: str) -> tuple[int, str]:
    response = client.get(path)
    return response.status_code, response.json()["status"]


def test_readiness_is_out_of_service_until_the_consumer_has_joined(client: httpx.Client, probe: FakeProbe) -> None:
    assert status(client, "/actuator/health/readiness") == (503, "OUT_OF_SERVICE")
    reason = client.get("/actuator/health/readiness").json()["components"]["readinessState"]["details"]["reason"]
    assert reason == "The consumer has not joined its group or has no assignment yet."
    assert status(client, "/actuator/health") == (503, "OUT_OF_SERVICE")
    assert status(client, "/actuator/health/liveness") == (200, "UP")  # starting is not broken

    probe.is_ready = True
    assert status(client, "/actuator/health/readiness") == (200, "UP")
    assert status(client, "/actuator/health") == (200, "UP")


def test_liveness_goes_down_when_the_loop_makes_no_progress(client: httpx.Client, probe: FakeProbe) -> None:
    probe.is_ready = True
    probe.idle_s = None  # not started yet
    assert status(client, "/actuator/health/liveness") == (200, "UP")
    probe.idle_s = 29.5
    assert status(client, "/actuator/health/liveness") == (200, "UP")

    probe.idle_s = 31.0
    response = client.get("/actuator/health/liveness")
    assert response.status_code == 503
    assert response.json() == {
        "status": "DOWN",
        "components": {
            "livenessState": {
                "status": "DOWN",
                "details": {
                    "timeoutSeconds": 30.0,
                    "secondsSinceProgress": 31.0,
                    "reason": "The consume loop has made no progress for 31s, over router.liveness.timeout (30s).",
                },
            }
        },
    }
    # SCDF's Kubernetes deployer probes liveness on /actuator/health: it must go DOWN too.
    assert status(client, "/actuator/health") == (503, "DOWN")

    probe.idle_s = 0.2  # the loop came back
    assert status(client, "/actuator/health") == (200, "UP")


def test_the_pumps_components_are_shown_and_counted(client: httpx.Client, probe: FakeProbe) -> None:
    probe.is_ready = True
    probe.components = {
        "kafka": {"status": "DOWN", "details": {"brokers": "127.0.0.1:9092", "error": "NoBrokersAvailable"}},
        "consumer": {"status": "UP", "details": {"group": "router", "ssl.key.password": "k"}},
        "chain": {"status": "DOWN"},  # the sidecar's own names are not the probe's to set
    }
    health = client.get("/actuator/health")
    assert health.status_code == 503
    document = health.json()
    assert document["status"] == "DOWN"
    assert list(document["components"]) == ["chain", "kafka", "consumer", "livenessState", "readinessState"]
    assert document["components"]["chain"]["status"] == "UP"
    assert document["components"]["consumer"]["details"] == {"group": "router", "ssl.key.password": "******"}
    assert status(client, "/actuator/health/kafka") == (503, "DOWN")
    assert status(client, "/actuator/health/consumer") == (200, "UP")


def test_a_probe_that_raises_is_no_proof_of_life(client: httpx.Client, probe: FakeProbe) -> None:
    probe.broken = True
    assert status(client, "/actuator/health/liveness") == (503, "DOWN")
    assert status(client, "/actuator/health/readiness") == (503, "OUT_OF_SERVICE")
    document = client.get("/actuator/health").json()
    assert document["components"]["pump"] == {"status": "DOWN", "details": {"error": "RuntimeError: probe broke"}}


def test_an_odd_status_from_the_probe_is_unknown_and_does_not_fail_health(
    client: httpx.Client, probe: FakeProbe
) -> None:
    probe.is_ready = True
    probe.components = {"kafka": {"status": "up"}, "weird": {"status": "MAYBE"}}
    document = client.get("/actuator/health").json()
    assert document["components"]["kafka"] == {"status": "UP"}
    assert document["components"]["weird"] == {"status": "UNKNOWN"}
    assert document["status"] == "UP"
