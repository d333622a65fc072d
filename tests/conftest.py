"""Session-wide fixtures: a real Apache Kafka broker for the tests marked `kafka`.

The broker is started once per test session on free loopback ports, from the jars that kafka-broker/pom.xml pins,
and stopped at the end, also after a failed test or Ctrl-C (and, should pytest itself be killed, Linux's
parent-death signal takes the JVM down with it). When it cannot start, every `kafka` test fails with the
broker's last log lines; none is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scripts.local_kafka import DEFAULT_SCRAM_USERS, BrokerError, LocalKafka, free_port
from scripts.stream_apps import StreamAppsError, build

# The secured broker's users: the scripts' throwaway one, and one whose password is distinctive enough to
# search every log line and HTTP answer for (tests/security).
SECURED_USERS = {**DEFAULT_SCRAM_USERS, "sentinel": "Sup3r-S3cret-Pa55"}
# router.kafka.client's values: every integration test of the pump and of security runs on each.
KAFKA_CLIENTS = ("kafka-python", "librdkafka")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test marked `kafka` always gets a broker, even if it forgot to ask for it.
    for item in items:
        names = getattr(item, "fixturenames", [])
        if item.get_closest_marker("kafka") and "kafka_broker" not in names and "secured_kafka_broker" not in names:
            item.fixturenames.append("kafka_broker")  # type: ignore[attr-defined]


def _start(state_dir: Path, sasl_ssl_port: int = 0, scram_users: dict[str, str] | None = None) -> LocalKafka:
    broker = LocalKafka(
        state_dir=state_dir,
        port=free_port(),
        die_with_parent=True,
        sasl_ssl_port=sasl_ssl_port,
        scram_users=dict(scram_users or DEFAULT_SCRAM_USERS),
    )
    try:
        broker.start()
    except BrokerError as exc:
        pytest.fail(f"Kafka could not start, so this test cannot run: {exc}", pytrace=False)
    return broker


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """The session's broker. Use `kafka_broker.bootstrap` ("127.0.0.1:<port>")."""
    broker = _start(tmp_path_factory.mktemp("kafka"))
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def secured_kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """The session's broker with a SASL_SSL listener (SCRAM-SHA-512/256 and PLAIN over TLS) beside its
    plaintext one: `sasl_ssl_bootstrap`, `ca_file` (the throwaway CA), `tls_dir` (client.pem/client.key signed
    by that CA), `scram_users` (SECURED_USERS)."""
    broker = _start(tmp_path_factory.mktemp("kafka-sasl-ssl"), sasl_ssl_port=free_port(), scram_users=SECURED_USERS)
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(params=KAFKA_CLIENTS)
def kafka_client(request: pytest.FixtureRequest) -> str:
    """The pump's Kafka client (router.kafka.client): a test that takes it runs once on each."""
    client: str = request.param
    return client


@pytest.fixture(scope="session")
def stream_apps_jar() -> Path:
    """The jar of the project's Spring Cloud Stream apps (stream-apps/), built by Maven when its sources changed.
    Without Java 17 or Maven, or when Maven cannot build it, the test fails with the reason."""
    try:
        return build()
    except StreamAppsError as exc:
        pytest.fail(f"The Spring apps could not be built, so this test cannot run: {exc}", pytrace=False)


@pytest.fixture
def bootstrap(kafka_broker: LocalKafka) -> str:
    return kafka_broker.bootstrap


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[Callable[[], LocalKafka]]:
    """A factory for a broker of the test's own, for tests that stop or restart it."""
    started: list[LocalKafka] = []

    def start() -> LocalKafka:
        broker = _start(tmp_path / f"kafka-{len(started)}")
        started.append(broker)
        return broker

    try:
        yield start
    finally:
        for broker in started:
            broker.stop()
