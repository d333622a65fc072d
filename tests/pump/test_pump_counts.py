"""What the pump's metrics and health counts mean when batches are retried (issue 17, item 8), and what the
log says of an empty assignment (item 9), against the in-memory broker (tests/pump/fake_kafka.py)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from pump import ChainClassifier, ClassifierUnavailable, Pump, PumpConfig
from tests.pump.fake_kafka import FakeBroker, FakeClients
from tests.pump.recipe_chain import router

EVEN, ODD = b"05/17/19 17:56:36", b"05/17/19 17:56:37"


def pump_over(broker: FakeBroker, failing_flushes: int) -> tuple[Pump, CollectorRegistry]:
    """A pump whose first `failing_flushes` acknowledgements time out (the producer keeps those records and
    delivers them later, as kafka-python does); it stops at the first poll that finds nothing new."""
    registry = CollectorRegistry()
    chain = router()
    clients = FakeClients(broker)
    config = PumpConfig(
        group_id="recipe",
        input_topic="timeDest",
        output_topics=("evenDest", "oddDest"),
        retry_backoff_s=0.001,
        retry_backoff_max_s=0.002,
    )
    pump = Pump(config, ChainClassifier(chain), chain.errors, registry, clients=clients)
    flushes = 0
    build_producer, build_consumer = clients.producer, clients.consumer

    def producer(configs: Any) -> Any:
        built = build_producer(configs)
        real_flush = built.flush

        def flush(timeout_s: float) -> Any:
            nonlocal flushes
            flushes += 1
            broker.down = flushes <= failing_flushes
            try:
                return real_flush(timeout_s)
            finally:
                broker.down = False

        built.flush = flush  # type: ignore[method-assign]
        return built

    def consumer(configs: Any) -> Any:
        built = build_consumer(configs)
        built.on_idle = pump.request_stop
        return built

    clients.producer = producer  # type: ignore[method-assign]
    clients.consumer = consumer  # type: ignore[method-assign]
    return pump, registry


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_a_batch_acknowledged_late_is_written_once_and_counted_once() -> None:
    broker = FakeBroker()
    broker.create_topic("timeDest")
    for value in (EVEN, b"bad", ODD):
        broker.produce("timeDest", value, key=b"k")
    pump, registry = pump_over(broker, failing_flushes=2)

    assert pump.run() == 0

    # Before issue 17 each timeout re-sent the whole batch: 3 writes each, counted consumed 9, failed 3,
    # produced 1 (of 3 written).
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN]
    assert broker.values("oddDest") == [b"Odd timestamp: " + ODD]
    assert len(broker.values("timeDest.dlq")) == 1
    assert sample(registry, "python_router_records_consumed_total") == 3
    assert sample(registry, "python_router_records_failed_total") == 1
    assert sample(registry, "python_router_records_produced_total", destination="evenDest") == 1
    assert sample(registry, "python_router_records_produced_total", destination="oddDest") == 1
    assert sample(registry, "python_router_records_dead_lettered_total") == 1
    details = pump.health_components()["consumer"]["details"]
    assert (details["consumed"], details["failed"], details["produced"], details["deadLettered"]) == (3, 1, 2, 1)  # type: ignore[index]


def test_a_batch_polled_again_is_not_consumed_again() -> None:
    # The remote classifier away for a turn: the batch is rewound and polled again.
    broker = FakeBroker()
    broker.create_topic("timeDest")
    for value in (EVEN, ODD):
        broker.produce("timeDest", value, key=b"k")
    pump, registry = pump_over(broker, failing_flushes=0)
    real_classify = pump._classifier.classify
    calls = 0

    def classify(records: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ClassifierUnavailable("the sidecar is restarting")
        return real_classify(records)

    pump._classifier.classify = classify  # type: ignore[method-assign]
    assert pump.run() == 0
    assert calls == 2
    assert sample(registry, "python_router_records_consumed_total") == 2
    assert sample(registry, "python_router_batch_retries_total", cause="classifier") == 1


def test_an_empty_assignment_does_not_blame_more_members_than_partitions(caplog: pytest.LogCaptureFixture) -> None:
    # A sole member that joins before the topic's metadata is there is assigned nothing, then rebalanced.
    broker = FakeBroker()
    broker.create_topic("timeDest")
    pump, _ = pump_over(broker, failing_flushes=0)
    with caplog.at_level(logging.INFO, logger="pump"):
        pump._offsets.assigned(set())
    assert "more members than partitions" not in caplog.text
    assert "Assigned no partitions of timeDest" in caplog.text
    assert "not know" in caplog.text  # or its partitions are not known yet
