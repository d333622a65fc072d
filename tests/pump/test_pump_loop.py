"""The consume loop against an in-memory broker (tests/pump/fake_kafka.py): routing, commit after
acknowledgement, rewinds, Kafka Connect's error tolerance, dead letters, shutdown, health and metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from kafka.errors import MessageSizeTooLargeError
from prometheus_client import CollectorRegistry

from pump import ChainClassifier, Classifier, Outcome, Pump, PumpConfig, RecordFailed
from pump.classifier import Chain
from pump.clients import Partition, RebalanceListener
from pump.errors import GroupMovedOn
from tests.pump.fake_kafka import FakeBroker, FakeClients
from tests.pump.recipe_chain import router
from transforms import Record
from transforms.errors import Failure

EVEN, ODD = b"05/17/19 17:56:36", b"05/17/19 17:56:37"


def broker_with(*values: bytes | None, keys: Sequence[bytes | None] | None = None) -> FakeBroker:
    broker = FakeBroker()
    broker.create_topic("timeDest")
    for index, value in enumerate(values):
        broker.produce("timeDest", value, key=None if keys is None else keys[index], headers=[("trace", b"t1")])
    return broker


def make_pump(
    broker: FakeBroker, chain: Any = None, classifier: Classifier | None = None, **config: Any
) -> tuple[Pump, FakeClients]:
    chain = chain if chain is not None else router()
    clients = FakeClients(broker)
    settings: dict[str, Any] = {"retry_backoff_s": 0.001, "retry_backoff_max_s": 0.002, **config}
    pump_config = PumpConfig(
        group_id="recipe",
        input_topic="timeDest",
        output_topics=("evenDest", "oddDest"),
        client={"bootstrap_servers": ["fake:9092"]},
        **settings,
    )
    pump = Pump(pump_config, classifier or ChainClassifier(chain), chain.errors, CollectorRegistry(), clients=clients)
    return pump, clients


def run_until_idle(pump: Pump, clients: FakeClients) -> int:
    """Run the pump; the first poll that finds nothing new stops it."""
    build = clients.consumer

    def consumer(configs: Any) -> Any:
        built = build(configs)
        built.on_idle = pump.request_stop
        return built

    clients.consumer = consumer  # type: ignore[method-assign]
    return pump.run()


class DownDuring:
    """Wraps a client's method: the broker is down during the calls (numbered from 1) that `failing` picks."""

    def __init__(self, broker: FakeBroker, failing: Callable[[int], bool]) -> None:
        self.broker, self.failing, self.calls = broker, failing, 0

    def wrap(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            self.calls += 1
            self.broker.down = self.failing(self.calls)
            try:
                return method(*args)
            finally:
                self.broker.down = False

        return call


def test_routes_each_timestamp_with_the_recipes_text_and_commits_after_the_batch() -> None:
    broker = broker_with(EVEN, ODD, EVEN, keys=[b"a", b"b", b"c"])
    pump, clients = make_pump(broker)

    assert run_until_idle(pump, clients) == 0

    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN, b"Even timestamp: " + EVEN]
    assert broker.values("oddDest") == [b"Odd timestamp: " + ODD]
    assert [r.key for r in broker.records("evenDest")] == [b"a", b"c"]
    assert broker.committed_offset("recipe", "timeDest") == 3
    closed = clients.consumers[0].closed_timeout_s
    assert closed is not None and 0 < closed <= 20  # within the shutdown budget


def test_keys_headers_and_timestamps_carry_through_with_a_text_content_type() -> None:
    broker = FakeBroker()
    broker.create_topic("timeDest")
    headers = [
        ("contentType", b'"application/json"'),
        ("spring_json_header_types", b'{"contentType":"java.lang.String"}'),
    ]
    broker.produce("timeDest", EVEN, key=b"k1", headers=[("trace", b"t1"), *headers], timestamp=1234)
    pump, clients = make_pump(broker)

    run_until_idle(pump, clients)

    [out] = broker.records("evenDest")
    assert (out.key, out.timestamp) == (b"k1", 1234)
    assert out.headers == [
        ("trace", b"t1"),
        ("contentType", b'"text/plain"'),
        ("spring_json_header_types", b'{"contentType":"java.lang.String"}'),
    ]


def test_the_committed_offsets_are_last_plus_one_per_partition_after_every_batch() -> None:
    broker = FakeBroker()
    broker.create_topic("timeDest", partitions=2)
    for i in range(5):
        broker.produce("timeDest", EVEN, partition=i % 2)
    pump, clients = make_pump(broker, consumer={"max_poll_records": 2})

    run_until_idle(pump, clients)

    assert broker.committed_offset("recipe", "timeDest", 0) == 3
    assert broker.committed_offset("recipe", "timeDest", 1) == 2
    # One commit per batch of two, each after that batch's flush.
    assert len(broker.commit_calls) == 3
    assert clients.producers[0].flushes == 3


def test_nothing_is_committed_while_the_broker_does_not_acknowledge_and_nothing_is_sent_twice() -> None:
    broker = broker_with(EVEN, ODD, EVEN)
    pump, clients = make_pump(broker, ack_timeout_s=0.001)
    flushes = 0
    real_flush = None
    health_during_outage: list[str] = []

    def flaky_flush(timeout_s: float) -> Any:
        nonlocal flushes
        flushes += 1
        health_during_outage.append(str(pump.health_components()["kafka"]["status"]))
        broker.down = flushes <= 2  # the first two acknowledgements time out
        try:
            assert real_flush is not None
            time.sleep(0.01)  # longer than ack_timeout_s
            return real_flush(timeout_s)
        finally:
            broker.down = False

    build = clients.producer

    def producer(configs: Any) -> Any:
        nonlocal real_flush
        built = build(configs)
        real_flush = built.flush
        built.flush = flaky_flush  # type: ignore[method-assign]
        return built

    clients.producer = producer  # type: ignore[method-assign]
    clients_consumer = clients.consumer

    def consumer(configs: Any) -> Any:
        built = clients_consumer(configs)
        real_poll = built.poll

        def poll(timeout_s: float) -> Any:
            assert broker.commit_calls == [] or flushes > 2, "committed before the broker acknowledged"
            return real_poll(timeout_s)

        built.poll = poll  # type: ignore[method-assign]
        return built

    clients.consumer = consumer  # type: ignore[method-assign]

    assert run_until_idle(pump, clients) == 0

    assert broker.commit_calls == [{("timeDest", 0): 3}]  # once, after the acknowledgement
    # The pump waits for the records the producer holds instead of sending the batch again (issue 17: the
    # whole batch was re-sent after each timeout, and written three times).
    assert clients.consumers[0].seeks == []
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN] * 2
    assert "DOWN" in health_during_outage
    assert pump.health_components()["kafka"]["status"] == "UP"


def test_a_commit_that_fails_is_retried_without_producing_again() -> None:
    broker = broker_with(EVEN)
    pump, clients = make_pump(broker)
    build = clients.consumer
    commits = DownDuring(broker, lambda call: call == 1)

    def consumer(configs: Any) -> Any:
        built = build(configs)
        built.commit = commits.wrap(built.commit)  # type: ignore[method-assign]
        return built

    clients.consumer = consumer  # type: ignore[method-assign]

    run_until_idle(pump, clients)

    assert commits.calls == 2
    assert broker.committed_offset("recipe", "timeDest") == 1
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN]  # not produced twice


def test_tolerance_none_produces_what_precedes_the_failed_record_commits_up_to_it_and_stops() -> None:
    broker = broker_with(EVEN, ODD, b"not a timestamp", EVEN)
    pump, clients = make_pump(broker, router(errors_tolerance="none"))

    with pytest.raises(RecordFailed) as stopped:
        run_until_idle(pump, clients)

    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN]
    assert broker.values("oddDest") == [b"Odd timestamp: " + ODD]
    assert broker.committed_offset("recipe", "timeDest") == 2  # a restart resumes at the failed record
    message = str(stopped.value)
    assert "timeDest-0@2" in message
    assert "'parity' (transforms.builtin.timestamp_parity_router.TimestampParityRouter)" in message
    assert "Cannot read a timestamp from value b'not a timestamp'" in message
    assert "errors.tolerance=all" in message  # what to do
    assert pump.health_components()["consumer"]["status"] == "DOWN"
    assert not pump.ready()


def test_tolerance_none_resumes_at_the_failed_record_after_a_restart() -> None:
    broker = broker_with(EVEN, b"bad", ODD)
    pump, clients = make_pump(broker, router(errors_tolerance="none"))
    with pytest.raises(RecordFailed):
        run_until_idle(pump, clients)
    broker.topics["timeDest"][0][1].value = ODD  # someone fixed the record (as a new one would be)

    again, clients = make_pump(broker, router(errors_tolerance="none"))
    run_until_idle(again, clients)

    assert broker.values("oddDest") == [b"Odd timestamp: " + ODD] * 2
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN]
    assert broker.committed_offset("recipe", "timeDest") == 3


def test_tolerance_all_dead_letters_the_original_record_with_connects_context_headers() -> None:
    broker = FakeBroker()
    broker.create_topic("timeDest")
    broker.produce("timeDest", EVEN)
    broker.produce("timeDest", b"\xff\xfe garbage", key=b"k9", headers=[("trace", b"t9")], timestamp=77)
    broker.produce("timeDest", ODD)
    pump, clients = make_pump(broker)  # router.properties: errors.tolerance=all, DLQ timeDest.dlq

    run_until_idle(pump, clients)

    [dead] = broker.records("timeDest.dlq")
    assert (dead.key, dead.value, dead.timestamp) == (b"k9", b"\xff\xfe garbage", 77)
    headers = dict(dead.headers)
    assert dead.headers[0] == ("trace", b"t9")
    assert headers["__connect.errors.topic"] == b"timeDest"
    assert headers["__connect.errors.partition"] == b"0"
    assert headers["__connect.errors.offset"] == b"1"
    assert headers["__connect.errors.stage"] == b"TRANSFORMATION"
    parity_router = b"transforms.builtin.timestamp_parity_router.TimestampParityRouter"
    assert headers["__connect.errors.class.name"] == parity_router
    assert headers["__connect.errors.exception.class.name"] == b"transforms.errors.DataError"
    assert headers["__connect.errors.exception.message"].startswith(b"Cannot read a timestamp")
    assert b"Traceback" in headers["__connect.errors.exception.stacktrace"]
    assert headers["__connect.errors.connector.name"] == b"python-router"
    assert headers["__connect.errors.task.id"] == b"0"
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN]
    assert broker.values("oddDest") == [b"Odd timestamp: " + ODD]
    assert broker.committed_offset("recipe", "timeDest") == 3
    details = pump.health_components()["consumer"]["details"]
    assert (details["failed"], details["deadLettered"], details["produced"]) == (1, 1, 2)  # type: ignore[index]


def test_without_context_headers_the_dead_letter_keeps_exactly_the_original_headers() -> None:
    broker = broker_with(b"bad")
    pump, clients = make_pump(broker, router(errors_deadletterqueue_context_headers_enable="false"))
    run_until_idle(pump, clients)
    assert broker.records("timeDest.dlq")[0].headers == [("trace", b"t1")]


def test_tolerance_all_without_a_dead_letter_topic_skips_and_says_so_once(caplog: pytest.LogCaptureFixture) -> None:
    broker = broker_with(b"bad", EVEN, b"worse")
    chain = router(errors_deadletterqueue_topic_name="", errors_log_enable="false")
    pump, clients = make_pump(broker, chain)

    with caplog.at_level(logging.WARNING, logger="pump"):
        run_until_idle(pump, clients)

    assert "timeDest.dlq" not in broker.topics
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN]
    assert broker.committed_offset("recipe", "timeDest") == 3
    assert sum("is skipped" in r.getMessage() for r in caplog.records) == 1


def test_errors_log_enable_logs_each_failure_with_its_place_and_content_only_when_asked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = broker_with(b"bad")
    pump, clients = make_pump(broker, router(errors_log_include_messages="true"))
    with caplog.at_level(logging.ERROR, logger="pump.errors"):
        run_until_idle(pump, clients)
    [line] = [r.getMessage() for r in caplog.records if r.name == "pump.errors"]
    assert "stage 'TRANSFORMATION' with alias 'parity'" in line
    assert "topic='timeDest', partition=0, offset=0" in line
    assert "value=b'bad'" in line
    assert "Sending it to dead letter topic timeDest.dlq." in line


def test_tombstones_empty_and_binary_values_are_handled_and_nothing_is_lost() -> None:
    broker = broker_with(None, b"", b"\x00\x01\xff", EVEN, None, keys=[None, b"k", None, b"k", b"k"])
    pump, clients = make_pump(broker)

    run_until_idle(pump, clients)

    # The chain drops tombstones (tombstones=drop); the empty and the binary value are dead-lettered.
    assert broker.values("timeDest.dlq") == [b"", b"\x00\x01\xff"]
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN]
    details = pump.health_components()["consumer"]["details"]
    assert details["dropped"] == 2  # type: ignore[index]
    assert broker.committed_offset("recipe", "timeDest") == 5


class FailEverything:
    """A classifier whose every outcome is a failure (to dead-letter records the chain would drop)."""

    def classify(self, records: Sequence[Record]) -> list[Outcome]:
        return [Failure("TRANSFORMATION", "x", "X", "ValueError", "no") for _ in records]

    def health(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass


def test_a_keyless_tombstone_is_dead_lettered_as_a_null_record() -> None:
    broker = broker_with(None)
    pump, clients = make_pump(broker, classifier=FailEverything())
    run_until_idle(pump, clients)
    [dead] = broker.records("timeDest.dlq")
    assert (dead.key, dead.value) == (None, None)


def test_an_output_the_broker_refuses_is_dead_lettered_as_a_produce_failure() -> None:
    broker = broker_with(EVEN, ODD)
    broker.refuse = lambda topic, value: MessageSizeTooLargeError("too big") if topic == "evenDest" else None
    pump, clients = make_pump(broker)

    run_until_idle(pump, clients)

    [dead] = broker.records("timeDest.dlq")
    assert dead.value == EVEN  # the original
    assert dict(dead.headers)["__connect.errors.stage"] == b"KAFKA_PRODUCE"
    assert (
        b"Kafka refused the output record for topic evenDest"
        in dict(dead.headers)["__connect.errors.exception.message"]
    )
    assert broker.values("oddDest") == [b"Odd timestamp: " + ODD]
    assert broker.committed_offset("recipe", "timeDest") == 2


def test_a_dead_letter_the_broker_refuses_stops_the_pump_rather_than_lose_the_record() -> None:
    broker = broker_with(EVEN, b"bad", ODD)
    broker.refuse = lambda topic, value: MessageSizeTooLargeError("too big") if topic.endswith(".dlq") else None
    pump, clients = make_pump(broker)

    with pytest.raises(
        RecordFailed, match=r"timeDest-0@1: KAFKA_PRODUCE .* dead letter for topic timeDest.dlq"
    ) as stop:
        run_until_idle(pump, clients)

    assert broker.committed_offset("recipe", "timeDest") == 1
    # errors.tolerance=all is in force: the advice is about the dead-letter topic, not that setting.
    assert "set errors.tolerance=all" not in str(stop.value)
    assert "raise max.message.bytes of topic timeDest.dlq" in str(stop.value)


def test_a_dead_letter_too_large_for_its_topic_even_without_context_headers_is_not_sent() -> None:
    broker = broker_with(EVEN, b"x" * 500, ODD)
    broker.create_topic("timeDest.dlq")
    broker.max_message_bytes["timeDest.dlq"] = 300  # created beforehand, smaller than the input's records
    pump, clients = make_pump(broker)

    with pytest.raises(RecordFailed, match=r"the dead letter takes \d+ bytes: raise max.message.bytes") as stop:
        run_until_idle(pump, clients)

    assert "errors.tolerance=all" not in str(stop.value)
    assert broker.values("timeDest.dlq") == [] and broker.committed_offset("recipe", "timeDest") == 1


def test_a_refused_dead_letter_earlier_in_the_batch_is_awaited_before_anything_after_it_is_committed() -> None:
    # Record 0's output is refused, so it is dead-lettered, and that dead letter is refused too; record 2's
    # dead letter is refused as well. The stop must be at record 0: committing up to record 2 would lose it.
    broker = broker_with(EVEN, ODD, b"bad")
    broker.refuse = lambda topic, value: (
        MessageSizeTooLargeError("too big") if topic == "evenDest" or topic.endswith(".dlq") else None
    )
    pump, clients = make_pump(broker)

    with pytest.raises(RecordFailed, match=r"timeDest-0@0: KAFKA_PRODUCE .* dead letter for topic timeDest.dlq"):
        run_until_idle(pump, clients)

    assert broker.committed_offset("recipe", "timeDest") in (None, 0)


class FlakyClassifier:
    """Fails each record retriably `failures` times, then routes it like the chain."""

    def __init__(self, chain: Chain, failures: int) -> None:
        self.inner = ChainClassifier(chain)
        self.failures = failures
        self.calls = 0

    def classify(self, records: Sequence[Record]) -> list[Outcome]:
        self.calls += 1
        if self.calls <= self.failures:
            return [Failure("TRANSFORMATION", "lookup", "Lookup", "TimeoutError", "busy", retriable=True)] * len(
                records
            )
        return self.inner.classify(records)

    def health(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass


def test_retriable_failures_are_retried_within_errors_retry_timeout() -> None:
    broker = broker_with(EVEN)
    chain = router(errors_retry_timeout="5000", errors_retry_delay_max_ms="1")
    classifier = FlakyClassifier(chain, failures=2)
    pump, clients = make_pump(broker, chain, classifier)

    run_until_idle(pump, clients)

    assert classifier.calls == 3
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN]


def test_retriable_failures_are_dead_lettered_when_errors_retry_timeout_is_zero() -> None:
    broker = broker_with(EVEN)
    chain = router()
    classifier = FlakyClassifier(chain, failures=1)
    pump, clients = make_pump(broker, chain, classifier)
    run_until_idle(pump, clients)
    assert classifier.calls == 1
    assert broker.values("timeDest.dlq") == [EVEN]


def test_a_rebalance_commits_the_acknowledged_offsets_of_the_revoked_partitions() -> None:
    broker = broker_with(EVEN, ODD)
    pump, clients = make_pump(broker)
    build = clients.consumer
    commits = 0
    revoked = False

    def consumer(configs: Any) -> Any:
        built = build(configs)
        real_commit, real_poll = built.commit, built.poll

        def commit(positions: Any, timeout_s: float) -> None:
            nonlocal commits
            commits += 1
            if commits == 1:  # the batch's own commit meets a rebalance...
                raise GroupMovedOn("rebalancing")
            real_commit(positions, timeout_s)

        def poll(timeout_s: float) -> Any:
            nonlocal revoked
            if commits == 1 and not revoked:
                revoked = True
                built.revoke_all()  # ...and the listener, called in the next poll, commits it
            return real_poll(timeout_s)

        built.commit, built.poll = commit, poll  # type: ignore[method-assign]
        built.on_idle = pump.request_stop
        return built

    clients.consumer = consumer  # type: ignore[method-assign]

    pump.run()

    assert revoked and commits == 2
    assert broker.committed_offset("recipe", "timeDest") == 2
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN]  # not processed twice


def test_a_revocation_while_a_batch_is_in_flight_acknowledges_and_commits_it_first() -> None:
    broker = broker_with(EVEN, ODD)
    pump, clients = make_pump(broker, consumer={"max_poll_records": 2})
    events: list[str] = []
    recording(clients, events)
    build = clients.consumer

    def consumer(configs: Any) -> Any:
        built = build(configs)
        real_poll = built.poll

        def poll(timeout_s: float) -> Any:
            if events == ["poll [0, 1]", "send 0", "send 1"]:  # the batch is in flight
                events.append("revoke")
                built.revoke_all()
            return real_poll(timeout_s)

        built.poll = poll  # type: ignore[method-assign]
        return built

    clients.consumer = consumer  # type: ignore[method-assign]

    run_until_idle(pump, clients)

    assert events[:6] == ["poll [0, 1]", "send 0", "send 1", "revoke", "flush", "commit 2"]
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN]  # not processed again after the rebalance
    assert broker.values("oddDest") == [b"Odd timestamp: " + ODD]


def test_readiness_follows_the_assignment_and_liveness_the_loops_progress() -> None:
    broker = broker_with(EVEN)
    pump, clients = make_pump(broker)
    assert not pump.ready()
    assert pump.seconds_since_progress() is None
    seen: list[tuple[bool, dict[str, Any]]] = []
    build = clients.consumer

    def consumer(configs: Any) -> Any:
        built = build(configs)
        real_poll = built.poll

        def poll(timeout_s: float) -> Any:
            result = real_poll(timeout_s)
            details: Any = pump.health_components()["consumer"]["details"]
            seen.append((pump.ready(), dict(details)))
            if not result.records:
                pump.request_stop()
            return result

        built.poll = poll  # type: ignore[method-assign]
        return built

    clients.consumer = consumer  # type: ignore[method-assign]

    pump.run()

    ready, details = seen[0]
    assert ready and details["joined"] and details["assignment"] == ["timeDest-0"] and details["group"] == "recipe"
    assert 0 <= (pump.seconds_since_progress() or 0) < 5
    assert not pump.ready()  # stopped for good


def test_the_metrics_count_what_happened() -> None:
    broker = broker_with(EVEN, ODD, b"bad", None, keys=[b"k"] * 4)
    registry = CollectorRegistry()
    chain = router()
    clients = FakeClients(broker)
    config = PumpConfig(group_id="recipe", input_topic="timeDest", output_topics=("evenDest", "oddDest"))
    pump = Pump(config, ChainClassifier(chain), chain.errors, registry, clients=clients)
    run_until_idle(pump, clients)

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("python_router_records_consumed_total") == 4
    assert value("python_router_records_produced_total", destination="evenDest") == 1
    assert value("python_router_records_produced_total", destination="oddDest") == 1
    assert value("python_router_records_dropped_total") == 1
    assert value("python_router_records_failed_total") == 1
    assert value("python_router_records_dead_lettered_total") == 1
    assert value("python_router_batch_duration_seconds_count") == 1
    assert value("python_router_commit_duration_seconds_count") == 1
    assert value("python_router_consumer_lag", topic="timeDest", partition="0") == 0


def test_the_pumps_settings_go_to_the_clients_and_auto_commit_stays_off(caplog: pytest.LogCaptureFixture) -> None:
    broker = broker_with()
    pump, clients = make_pump(
        broker,
        consumer={"enable_auto_commit": True, "max_poll_records": 100},
        producer={"linger_ms": 50},
        start_offset="latest",
    )
    with caplog.at_level(logging.WARNING, logger="pump"):
        run_until_idle(pump, clients)
    consumer, producer = clients.consumers[0].configs, clients.producers[0].configs
    assert consumer["enable_auto_commit"] is False
    assert "Ignoring consumer setting enable_auto_commit=True" in caplog.text
    assert (consumer["group_id"], consumer["auto_offset_reset"], consumer["max_poll_records"]) == (
        "recipe",
        "latest",
        100,
    )
    assert consumer["bootstrap_servers"] == ["fake:9092"]
    assert (producer["linger_ms"], producer["acks"], producer["enable_idempotence"]) == (50, "all", True)


def test_topics_are_created_when_missing_with_the_configured_partitions_and_replication() -> None:
    broker = FakeBroker()
    broker.create_topic("timeDest", partitions=1)
    pump, clients = make_pump(broker, min_partition_count=4, replication_factor=3)
    run_until_idle(pump, clients)
    assert sorted(broker.created) == [("evenDest", 4, 3), ("oddDest", 4, 3), ("timeDest.dlq", 1, -1)]
    assert len(broker.topics["timeDest"]) == 1  # an existing topic is never altered


def test_a_broker_away_at_startup_is_waited_for(caplog: pytest.LogCaptureFixture) -> None:
    broker = broker_with(EVEN)
    broker.down = True
    pump, clients = make_pump(broker)
    build = clients.admin
    attempts = 0

    def admin(configs: Any) -> Any:
        nonlocal attempts
        attempts += 1
        if attempts == 3:
            broker.down = False
        if attempts == 2:
            assert pump.health_components()["kafka"]["status"] == "DOWN"
        return build(configs)

    clients.admin = admin  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="pump"):
        run_until_idle(pump, clients)
    assert attempts == 3
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN]
    assert caplog.text.count("is unreachable") == 1  # once per outage, not per retry


def test_request_stop_before_the_broker_answers_returns_at_once() -> None:
    broker = broker_with()
    broker.down = True
    pump, clients = make_pump(broker)
    build = clients.admin

    def admin(configs: Any) -> Any:
        pump.request_stop()
        return build(configs)

    clients.admin = admin  # type: ignore[method-assign]
    assert pump.run() == 0


def test_the_assignment_follows_incremental_rebalances_of_the_cooperative_assignor() -> None:
    pump, _ = make_pump(FakeBroker())
    listener: RebalanceListener = pump._offsets  # what the pump subscribes with
    t0, t1, t2 = (Partition("timeDest", p) for p in range(3))
    listener.assigned({t0, t1})
    listener.revoked({t1})  # only what moves, not everything
    assert not pump.ready()  # rebalancing
    listener.assigned({t2})
    assert pump.ready()
    assert pump.health_components()["consumer"]["details"]["assignment"] == ["timeDest-0", "timeDest-2"]  # type: ignore[index]


def recording(clients: FakeClients, events: list[str]) -> None:
    """Log, in order, each poll (with what it returned), send, flush and commit of the clients built."""
    build_consumer, build_producer = clients.consumer, clients.producer

    def consumer(configs: Any) -> Any:
        built = build_consumer(configs)
        real_poll, real_commit = built.poll, built.commit

        def poll(timeout_s: float) -> Any:
            batch = real_poll(timeout_s)
            events.append(f"poll {[r.offset for r in batch.records]}")
            return batch

        def commit(positions: Any, timeout_s: float) -> None:
            real_commit(positions, timeout_s)
            events.append(f"commit {dict(positions)[Partition('timeDest', 0)]}")

        built.poll, built.commit = poll, commit  # type: ignore[method-assign]
        return built

    def producer(configs: Any) -> Any:
        built = build_producer(configs)
        real_send, real_flush = built.send, built.flush

        def send(tag: int, *args: Any) -> None:
            real_send(tag, *args)
            events.append(f"send {tag}")

        def flush(timeout_s: float) -> Any:
            events.append("flush")
            return real_flush(timeout_s)

        built.send, built.flush = send, flush  # type: ignore[method-assign]
        return built

    clients.consumer, clients.producer = consumer, producer  # type: ignore[method-assign]


def test_the_next_batch_is_polled_while_the_broker_acknowledges_and_each_commit_follows_its_flush() -> None:
    broker = broker_with(EVEN, ODD, EVEN, ODD)
    pump, clients = make_pump(broker, consumer={"max_poll_records": 2})
    events: list[str] = []
    recording(clients, events)

    run_until_idle(pump, clients)

    assert events == [
        "poll [0, 1]", "send 0", "send 1",
        "poll [2, 3]",  # while batch 1 is in flight
        "flush", "commit 2",  # batch 1 acknowledged, then committed
        "send 0", "send 1",
        "poll []", "flush", "commit 4",
        "poll []",  # nothing in flight: the pump waits for records (the test stops it here)
    ]  # fmt: skip
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN] * 2


def test_without_a_backlog_each_batch_is_acknowledged_and_committed_before_the_next_poll() -> None:
    broker = broker_with(EVEN, ODD, EVEN)
    pump, clients = make_pump(broker, consumer={"max_poll_records": 100})  # 3 records: far from a backlog
    events: list[str] = []
    recording(clients, events)

    run_until_idle(pump, clients)

    assert events == ["poll [0, 1, 2]", "send 0", "send 1", "send 2", "flush", "commit 3", "poll []"]


def test_a_batch_in_flight_waits_out_an_outage_with_the_next_in_hand_and_nothing_is_sent_twice() -> None:
    broker = broker_with(EVEN, ODD, EVEN, ODD)
    pump, clients = make_pump(broker, consumer={"max_poll_records": 2})
    events: list[str] = []
    recording(clients, events)
    build = clients.producer

    def producer(configs: Any) -> Any:
        built = build(configs)
        built.flush = DownDuring(broker, lambda call: call == 1).wrap(built.flush)  # batch 1's times out
        return built

    clients.producer = producer  # type: ignore[method-assign]

    run_until_idle(pump, clients)

    assert events[:8] == ["poll [0, 1]", "send 0", "send 1", "poll [2, 3]", "flush", "flush", "commit 2", "send 0"]
    assert clients.consumers[0].seeks == []  # waited for, not rewound
    assert broker.committed_offset("recipe", "timeDest") == 4
    assert broker.values("evenDest") == [b"Even timestamp: " + EVEN] * 2  # each once
    assert broker.values("oddDest") == [b"Odd timestamp: " + ODD] * 2


def test_an_acknowledgement_failing_at_a_revocation_rewinds_the_batch_in_flight_and_the_one_behind_it() -> None:
    broker = broker_with(EVEN, ODD, EVEN, ODD)
    pump, clients = make_pump(broker, consumer={"max_poll_records": 2})
    events: list[str] = []
    recording(clients, events)
    build_producer, build_consumer = clients.producer, clients.consumer

    def producer(configs: Any) -> Any:
        built = build_producer(configs)
        built.flush = DownDuring(broker, lambda call: call == 1).wrap(built.flush)  # down during the revocation
        return built

    def consumer(configs: Any) -> Any:
        built = build_consumer(configs)
        real_poll = built.poll

        def poll(timeout_s: float) -> Any:
            if events == ["poll [0, 1]", "send 0", "send 1"]:  # batch 1 in flight
                events.append("revoke")
                built.revoke_all()
            return real_poll(timeout_s)

        built.poll = poll  # type: ignore[method-assign]
        return built

    clients.producer, clients.consumer = producer, consumer  # type: ignore[method-assign]

    run_until_idle(pump, clients)

    assert events[:5] == ["poll [0, 1]", "send 0", "send 1", "revoke", "flush"]  # one slice, then give up
    assert clients.consumers[0].seeks == [(("timeDest", 0), 0)]  # back to batch 1's first record
    assert broker.committed_offset("recipe", "timeDest") == 4
    # Batch 1 was delivered late by the first attempt and again after the rewind: duplicates, no loss.
    routed = broker.values("evenDest") + broker.values("oddDest")
    assert {b"Even timestamp: " + EVEN, b"Odd timestamp: " + ODD} == set(routed) and len(routed) >= 4


def test_a_stop_request_with_a_batch_in_flight_acknowledges_and_commits_it_before_leaving() -> None:
    broker = broker_with(EVEN, ODD)
    pump, clients = make_pump(broker)
    build = clients.consumer

    def consumer(configs: Any) -> Any:
        built = build(configs)
        real_poll = built.poll

        def poll(timeout_s: float) -> Any:
            batch = real_poll(timeout_s)
            if batch.records:
                pump.request_stop()  # SIGTERM while the batch is classified and sent
            return batch

        built.poll = poll  # type: ignore[method-assign]
        return built

    clients.consumer = consumer  # type: ignore[method-assign]

    assert pump.run() == 0

    assert broker.committed_offset("recipe", "timeDest") == 2
    assert broker.values("oddDest") == [b"Odd timestamp: " + ODD]
