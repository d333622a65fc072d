"""python-router against a real SASL_SSL listener: it routes with SCRAM-SHA-512 over verified TLS, and when a
setting is wrong (password, CA, protocol) it says which, reports kafka DOWN, retries slowly and stays up.

The four apps start together (the refused ones need a while to show their retry rate) and each test looks at
its own; only the wrong-password app fails SCRAM, so the broker's count of failed logins is its attempts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from pump.broker_trouble import REFUSED_RETRY_S
from scripts.local_kafka import DEFAULT_SCRAM_USERS, LocalKafka, free_port
from tests.conftest import KAFKA_CLIENTS
from tests.security.router_process import Router, exec_style, launch, scram_over_tls, stop_all, topics

pytestmark = pytest.mark.kafka
USER, PASSWORD = next(iter(DEFAULT_SCRAM_USERS.items()))
TIMESTAMPS = [b"05/17/19 17:56:36", b"05/17/19 17:56:37", b"05/17/19 17:56:38"]
# How long the wrong-password app is watched once it has named the refusal: the rest of the bootstrap that saw
# it (under 10 s), one refused-retry wait (30 s) and a little of the next bootstrap.
WATCH_S = 45.0
# kafka-python retries a bootstrap with exponential backoff from 50 ms: at most 9 attempts fit its 10 s,
# so two bootstraps bound the count. Without the slow retry it was 36 in 45 s (docs/security.md).
MOST_ATTEMPTS = 18


@dataclass
class Apps:
    client: str
    broker: LocalKafka
    routing: Router
    routing_topics: dict[str, str]
    wrong_password: Router
    another_ca: Router
    another_ca_file: Path
    plaintext: Router
    failed_logins_before: int


def failed_logins(broker: LocalKafka) -> int:
    """The broker's count of refused SCRAM logins (its log says so for each one)."""
    return broker.log_file.read_text(errors="replace").count("due to invalid credentials with SASL mechanism")


@pytest.fixture(scope="module", params=KAFKA_CLIENTS)
def apps(
    request: pytest.FixtureRequest,
    secured_kafka_broker: LocalKafka,
    another_ca: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Apps]:
    """The four apps, on one Kafka client (router.kafka.client): every test runs once per client."""
    broker = secured_kafka_broker
    client: str = request.param
    logs = tmp_path_factory.mktemp(f"secured-pump-{client}")
    started: list[Router] = []

    def start(name: str, properties: dict[str, str]) -> Router:
        port = free_port()
        properties = {**properties, "router.kafka.client": client}
        started.append(launch(name, exec_style(properties, port), logs / f"{name}.log", port=port))
        return started[-1]

    before = failed_logins(broker)
    routing_topics = topics("scram")
    try:
        yield Apps(
            client=client,
            broker=broker,
            routing=start("routing", {**routing_topics, **scram_over_tls(broker, USER, PASSWORD)}),
            routing_topics=routing_topics,
            wrong_password=start(
                "wrong-password", {**topics("wrong"), **scram_over_tls(broker, USER, "not-the-password")}
            ),
            another_ca=start("another-ca", {**topics("ca"), **scram_over_tls(broker, USER, PASSWORD, another_ca)}),
            another_ca_file=another_ca,
            plaintext=start(
                "plaintext", {**topics("plain"), "spring.cloud.stream.kafka.binder.brokers": broker.sasl_ssl_bootstrap}
            ),
            failed_logins_before=before,
        )
    finally:
        stop_all(started)


def refusal_words(broker: LocalKafka) -> tuple[str, str]:
    """How the app words a refused login: the broker's answer, or (when kafka-python loses it in the same read
    as the close, mostly on a busy machine) the hang-up in the middle of SASL."""
    at = f"Kafka at {broker.sasl_ssl_bootstrap}"
    return (
        f"{at} refused the SASL credentials (SCRAM-SHA-512, user {USER}): check the username and password in "
        "sasl.jaas.config",
        f"{at} closed the connection during SASL authentication (SCRAM-SHA-512, user {USER}) without a reason "
        "kafka-python could read: it most likely refused the credentials: check the username and password in "
        "sasl.jaas.config",
    )


def pump_errors(router: Router) -> list[str]:
    return [line for line in router.text().splitlines() if " ERROR " in line and " pump " in line]


def test_the_pump_routes_over_sasl_ssl_with_scram_sha_512_and_a_verified_certificate(apps: Apps) -> None:
    router, names = apps.routing, apps.routing_topics
    router.wait_ready()
    assert router.kafka_health()["status"] == "UP"
    # The test's own clients use the broker's plaintext listener: only the app speaks SASL_SSL.
    producer = KafkaProducer(bootstrap_servers=apps.broker.bootstrap)
    try:
        for value in TIMESTAMPS:
            producer.send(names["spring.cloud.stream.bindings.input.destination"], value)
        producer.flush(timeout=30)
    finally:
        producer.close()
    even = names["spring.cloud.stream.bindings.even.destination"]
    odd = names["spring.cloud.stream.bindings.odd.destination"]
    consumer = KafkaConsumer(even, odd, bootstrap_servers=apps.broker.bootstrap, auto_offset_reset="earliest")
    received: dict[str, list[bytes]] = {even: [], odd: []}
    deadline = time.monotonic() + 30
    try:
        while sum(map(len, received.values())) < len(TIMESTAMPS) and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=500).items():
                received[tp.topic] += [r.value for r in records]
    finally:
        consumer.close()
    assert received == {
        even: [b"Even timestamp: 05/17/19 17:56:36", b"Even timestamp: 05/17/19 17:56:38"],
        odd: [b"Odd timestamp: 05/17/19 17:56:37"],
    }


def test_a_certificate_from_another_ca_is_refused_and_named(apps: Apps) -> None:
    router = apps.another_ca
    router.wait_until(
        "kafka DOWN for the certificate",
        lambda: router.kafka_health()["details"].get("cause") == "tls-certificate",
        40,
    )
    details = router.kafka_health()["details"]
    assert details["cause"] == "tls-certificate"
    router.wait_until("the pump's error line", lambda: bool(pump_errors(router)), 20)
    (line,) = pump_errors(router)
    assert f"is not signed by the CA in ssl.truststore.location ({apps.another_ca_file})" in line
    assert "certificate verify failed" in line
    assert router.alive()


def test_a_plaintext_client_on_the_secured_listener_is_told_it_speaks_tls(apps: Apps) -> None:
    router = apps.plaintext
    # kafka-python sees only a closed socket; the pump asks the listener itself once the bootstrap gives up.
    router.wait_until("the pump's error line", lambda: bool(pump_errors(router)), 25)
    (line,) = pump_errors(router)
    assert (
        f"The listener at {apps.broker.sasl_ssl_bootstrap} speaks TLS (SSL or SASL_SSL) but security.protocol "
        "is PLAINTEXT: set security.protocol=SASL_SSL (or SSL)"
    ) in line
    kafka = router.kafka_health()
    assert kafka["status"] == "DOWN" and kafka["details"]["cause"] == "protocol-mismatch"
    assert router.alive()


def test_a_wrong_password_is_named_reported_down_and_retried_slowly_without_a_crash(apps: Apps) -> None:
    router = apps.wrong_password
    # kafka-python may first see the refusal as a bare disconnect ("unreachable"; on a loaded machine for a few
    # bootstraps in a row, each bounded by its own exponential backoff); the cause follows on a later attempt,
    # when the broker's refusal is read before its close.
    router.wait_until(
        "kafka DOWN for the credentials",
        lambda: router.kafka_health()["details"].get("cause") == "authentication",
        60,
    )
    health = router.get("/actuator/health")
    assert health.status_code == 503 and health.json()["status"] == "DOWN"
    kafka = health.json()["components"]["kafka"]["details"]
    assert kafka["cause"] == "authentication"
    assert kafka["error"].startswith(refusal_words(apps.broker)), kafka["error"]
    # Kubernetes must not restart it for this: a restart cannot fix a password.
    assert router.get("/actuator/health/liveness").status_code == 200

    # From the refusal on, the pump retries slowly: watch it for one retry round.
    attempts_before, lines_before = failed_logins(apps.broker), len(router.text().splitlines())
    time.sleep(WATCH_S)
    attempts = failed_logins(apps.broker) - attempts_before
    assert 1 <= attempts <= MOST_ATTEMPTS, (
        f"{attempts} SCRAM logins in {WATCH_S:.0f}s after the refusal: the pump should retry a refusal every "
        f"{REFUSED_RETRY_S:.0f}s"
    )
    assert router.alive(), "no crash: the app keeps serving its actuator while it retries"
    errors = [line.split(" pump ", 1)[1] for line in pump_errors(router)]
    # Once per cause, not once per retry: the guess, then the broker's own words if kafka-python reads them.
    assert 1 <= len(errors) <= 2 and len(set(errors)) == len(errors), errors
    for line in errors:
        assert line.split(": ", 1)[1].startswith(refusal_words(apps.broker)), line
        assert line.endswith(f"Retrying every {REFUSED_RETRY_S:.0f}s."), line
    # The client's own log: kafka-python's `kafka.*` loggers, or the `librdkafka` logger.
    client_log = " kafka." if apps.client == "kafka-python" else " librdkafka "
    lines = [line for line in router.text().splitlines()[lines_before:] if client_log in line]
    # Before: about 150 lines in 40 s. Now the first of each distinct line, then one per 30 s with a count.
    assert len(lines) <= 40, "\n".join(lines)
    assert any("more like this in the last 30s" in line for line in lines), "\n".join(lines)
    assert "not-the-password" not in router.text()
