"""What the pump's metrics and health counts mean when batches are retried (issue 17, item 8), and what the
log says of an empty assignment (item 9), against the in-memory broker (tests/pump/fake_kafka.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from pump import ChainClassifier, Pump, PumpConfig
from pump.loop import _Rebalance
from tests.pump.fake_kafka import FakeBroker, FakeClients
from tests.pump.recipe_chain import router

EVEN, ODD = b"05/17/19 17:56:36", b"05/17/19 17:56:37"


def pump_over(broker: FakeBroker, failing_flushes: int) -> tuple[Pump, CollectorRegistry]:
    """A pump whose first `failing_flushes` acknowledgements time out (kafka-python delivers those records
    later anyway, as the fake does); it stops at the first poll that finds nothing new."""
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

        def flush(timeout: float | None = None) -> None:
            nonlocal flushes
            flushes += 1
            broker.down = flushes <= failing_flushes
            try:
                real_flush(timeout)
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


def test_a_batch_retried_twice_counts_its_records_consumed_and_failed_once_and_every_write() -> None:
    broker = FakeBroker()
    broker.create_topic("timeDest")
    for value in (EVEN, b"bad", ODD):
        broker.produce("timeDest", value, key=b"k")
    pump, registry = pump_over(broker, failing_flushes=2)

    assert pump.run() == 0

    # Each of the three attempts lands once (the producer delivers the unacknowledged ones late).
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN] * 3
    assert len(broker.values("timeDest.dlq")) == 3
    assert sample(registry, "python_router_records_consumed_total") == 3  # records, not polls of them
    assert sample(registry, "python_router_records_failed_total") == 1  # the one bad record, not its retries
    assert sample(registry, "python_router_records_produced_total", destination="evenDest") == 3  # every write
    assert sample(registry, "python_router_records_produced_total", destination="oddDest") == 3
    assert sample(registry, "python_router_records_dead_lettered_total") == 3
    assert sample(registry, "python_router_batch_retries_total", cause="broker") == 2
    details = pump.health_components()["consumer"]["details"]
    assert (details["consumed"], details["failed"], details["produced"], details["deadLettered"]) == (3, 1, 6, 3)  # type: ignore[index]


def test_an_empty_assignment_does_not_blame_more_members_than_partitions(caplog: pytest.LogCaptureFixture) -> None:
    # A sole member that joins before the topic's metadata is there is assigned nothing, then rebalanced.
    broker = FakeBroker()
    broker.create_topic("timeDest")
    pump, _ = pump_over(broker, failing_flushes=0)
    with caplog.at_level(logging.INFO, logger="pump"):
        asyncio.run(_Rebalance(pump).on_partitions_assigned(set()))
    assert "more members than partitions" not in caplog.text
    assert "Assigned no partitions of timeDest" in caplog.text
    assert "not know" in caplog.text  # or its partitions are not known yet
