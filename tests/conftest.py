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

from scripts.local_kafka import BrokerError, LocalKafka, free_port


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test marked `kafka` always gets the broker, even if it forgot to ask for it.
    for item in items:
        if item.get_closest_marker("kafka") and "kafka_broker" not in getattr(item, "fixturenames", []):
            item.fixturenames.append("kafka_broker")  # type: ignore[attr-defined]


def _start(state_dir: Path) -> LocalKafka:
    broker = LocalKafka(state_dir=state_dir, port=free_port(), die_with_parent=True)
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
