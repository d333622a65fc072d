"""The pump's small parts: retry timing, output headers, dead-letter headers, topic provisioning, settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from pump import PumpConfig, TopicsMissing, TopicsNotCreated
from pump.classifier import Outcome
from pump.clients import TopicSpec
from pump.content_type import output_headers
from pump.dead_letter import dead_letter_headers
from pump.errors import ClassifierUnavailable
from pump.retry import classify_with_retries
from pump.topics import ensure_topics
from tests.pump.fake_kafka import FakeAdmin, FakeBroker
from transforms import Record
from transforms.errors import ConfigError, Failure

BUSY = Failure("TRANSFORMATION", "lookup", "Lookup", "TimeoutError", "busy", retriable=True)
BROKEN = Failure("TRANSFORMATION", "parity", "TimestampParityRouter", "DataError", "not a timestamp")


@dataclass
class Retries:
    retry_timeout_ms: int
    retry_delay_max_ms: int = 60_000


class Scripted:
    """Answers each call with the next list of outcomes, recording what it was asked."""

    def __init__(self, *answers: Sequence[Outcome]) -> None:
        self.answers = list(answers)
        self.asked: list[list[bytes | None]] = []

    def classify(self, records: Sequence[Record]) -> list[Outcome]:
        self.asked.append([r.value for r in records])
        return list(self.answers.pop(0))

    def health(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(round(seconds, 3))
        self.now += seconds
        return True


RECORDS = [Record("t", b"a"), Record("t", b"b"), Record("t", b"c")]


def test_retriable_failures_are_retried_alone_300ms_after_then_doubling_up_to_the_max_delay() -> None:
    out = Record("even", b"ok")
    classifier = Scripted([out, BUSY, BROKEN], [BUSY], [BUSY], [BUSY], [out])
    time = FakeTime()
    outcomes = classify_with_retries(classifier, RECORDS, Retries(10_000, 1000), time.wait, time.clock)
    assert outcomes == [out, out, BROKEN]  # a non-retriable failure is not retried
    assert classifier.asked == [[b"a", b"b", b"c"], [b"b"], [b"b"], [b"b"], [b"b"]]
    assert time.waits == [0.3, 0.6, 1.0, 1.0]  # capped by errors.retry.delay.max.ms


def test_after_errors_retry_timeout_a_retriable_failure_is_a_failure() -> None:
    classifier = Scripted(*[[BUSY] for _ in range(10)])
    time = FakeTime()
    outcomes = classify_with_retries(classifier, RECORDS[:1], Retries(1000), time.wait, time.clock)
    assert outcomes == [BUSY]
    assert time.waits == [0.3, 0.6, 0.1]  # the last wait ends at the deadline
    assert time.now == pytest.approx(1.0)


def test_no_retries_by_default_and_forever_with_minus_one() -> None:
    assert classify_with_retries(Scripted([BUSY]), RECORDS[:1], Retries(0), FakeTime().wait) == [BUSY]
    answers = [[BUSY] for _ in range(30)] + [[BROKEN]]
    time = FakeTime()
    assert classify_with_retries(Scripted(*answers), RECORDS[:1], Retries(-1, 500), time.wait, time.clock) == [BROKEN]
    assert len(time.waits) == 30


def test_a_stop_during_retries_abandons_the_batch_uncommitted() -> None:
    with pytest.raises(ClassifierUnavailable, match="Stopping while retrying 1 record"):
        classify_with_retries(Scripted([BUSY]), RECORDS[:1], Retries(-1), lambda seconds: False)


def test_output_headers_say_text_plain_the_spring_way_and_drop_a_contradicting_content_type() -> None:
    incoming = [
        ("contentType", b'"application/json"'),
        ("target-protocol", b'"kafka"'),
        ("spring_json_header_types", b'{"contentType":"java.lang.String","target-protocol":"java.lang.String"}'),
    ]
    assert output_headers(incoming, b"Even timestamp: 05/17/19 17:56:36") == [
        ("target-protocol", b'"kafka"'),
        ("contentType", b'"text/plain"'),
        ("spring_json_header_types", b'{"contentType":"java.lang.String","target-protocol":"java.lang.String"}'),
    ]


def test_output_headers_of_binary_values_and_of_unreadable_type_maps() -> None:
    headers = output_headers([("spring_json_header_types", b"{not json"), ("n", None)], b"\xff\x00")  # type: ignore[list-item]
    assert headers == [
        ("n", b""),  # kafka-python cannot send a null header value
        ("contentType", b'"application/octet-stream"'),
        ("spring_json_header_types", b'{"contentType":"java.lang.String"}'),
    ]
    assert output_headers([], None)[0] == ("contentType", b'"text/plain"')


def test_dead_letter_context_headers_replace_older_ones_and_keep_the_rest() -> None:
    record = Record("timeDest", b"x", headers=(("a", b"1"), ("__connect.errors.offset", b"99")), partition=2, offset=7)
    failure = Failure("TRANSFORMATION", "parity", "TimestampParityRouter", "transforms.errors.DataError", "bad")
    headers = dead_letter_headers(record, failure, connector="python-router", task=3, context=True)
    assert headers == [
        ("a", b"1"),
        ("__connect.errors.topic", b"timeDest"),
        ("__connect.errors.partition", b"2"),
        ("__connect.errors.offset", b"7"),
        ("__connect.errors.connector.name", b"python-router"),
        ("__connect.errors.task.id", b"3"),
        ("__connect.errors.stage", b"TRANSFORMATION"),
        ("__connect.errors.class.name", b"TimestampParityRouter"),
        ("__connect.errors.exception.class.name", b"transforms.errors.DataError"),
        ("__connect.errors.exception.message", b"bad"),
    ]
    assert dead_letter_headers(record, failure, connector="c", task=0, context=False) == list(record.headers)


def admin_with(*topics: str) -> FakeAdmin:
    broker = FakeBroker()
    for topic in topics:
        broker.create_topic(topic)
    return FakeAdmin(broker)


def test_missing_topics_are_created_once_and_existing_ones_left_alone() -> None:
    admin = admin_with("timeDest")
    specs = [TopicSpec("timeDest", 3, 1), TopicSpec("even", 3, -1), TopicSpec("even", 3, -1), TopicSpec("dlq", 1, 2)]
    assert ensure_topics(admin, specs, auto_create=True) == ["even", "dlq"]
    assert admin.broker.created == [("even", 3, -1), ("dlq", 1, 2)]
    assert ensure_topics(admin, specs, auto_create=True) == []


def test_a_missing_topic_with_auto_creation_off_names_the_topic_and_the_property() -> None:
    with pytest.raises(TopicsMissing) as missing:
        ensure_topics(
            admin_with("timeDest"), [TopicSpec("timeDest", 1, 1), TopicSpec("oddDest", 1, 1)], auto_create=False
        )
    assert missing.value.topics == ["oddDest"]
    assert "oddDest" in str(missing.value)
    assert "spring.cloud.stream.kafka.binder.autoCreateTopics" in str(missing.value)


def test_a_topic_the_broker_will_not_create_says_why_and_what_to_check() -> None:
    admin = admin_with()
    admin.refusals = {"oddDest": "Replication factor: 3 larger than available brokers: 1."}
    with pytest.raises(TopicsNotCreated) as refused:
        ensure_topics(admin, [TopicSpec("oddDest", 1, 3), TopicSpec("evenDest", 1, 3)], auto_create=True)
    assert refused.value.reasons == {"oddDest": "Replication factor: 3 larger than available brokers: 1."}
    assert "spring.cloud.stream.kafka.binder.replicationFactor" in str(refused.value)


def test_invalid_settings_are_refused_with_every_problem_named() -> None:
    with pytest.raises(ConfigError) as invalid:  # the root of every configuration error
        PumpConfig(group_id="", input_topic="t", output_topics=(), replication_factor=0, ack_timeout_s=0)
    message = str(invalid.value)
    assert "spring.cloud.stream.bindings.input.group" in message
    assert "replication_factor is 0" in message and "ack_timeout_s is 0" in message


def test_client_settings_layer_defaults_common_and_per_client_values() -> None:
    config = PumpConfig(
        group_id="g",
        input_topic="t",
        output_topics=("o",),
        client={"bootstrap_servers": ["k:9092"], "security_protocol": "SSL"},
        consumer={"max_poll_records": 50},
        producer={"linger_ms": 0},
        admin={"request_timeout_ms": 5000},
    )
    consumer, producer, admin = config.consumer_configs(), config.producer_configs(), config.admin_configs()
    assert consumer["security_protocol"] == producer["security_protocol"] == admin["security_protocol"] == "SSL"
    assert (consumer["max_poll_records"], consumer["fetch_max_wait_ms"], consumer["group_id"]) == (50, 100, "g")
    assert (producer["linger_ms"], producer["batch_size"]) == (0, 128 * 1024)
    assert admin["request_timeout_ms"] == 5000
    assert config.brokers == "k:9092"


def test_librdkafka_gets_the_same_defaults_in_its_own_terms() -> None:
    config = PumpConfig(
        group_id="g",
        input_topic="t",
        output_topics=("o",),
        kafka_client="librdkafka",
        consumer={"bootstrap.servers": "k:9092", "max.poll.records": 50, "enable.auto.commit": True},
        producer={"bootstrap.servers": "k:9092", "linger.ms": 0},
    )
    consumer, producer = config.consumer_configs(), config.producer_configs()
    assert (consumer["max.poll.records"], consumer["fetch.wait.max.ms"], consumer["group.id"]) == (50, 100, "g")
    assert (consumer["enable.auto.commit"], consumer["enable.auto.offset.store"]) == (False, False)
    assert consumer["isolation.level"] == "read_uncommitted" and consumer["auto.offset.reset"] == "earliest"
    assert (producer["linger.ms"], producer["acks"], producer["enable.idempotence"]) == (0, -1, True)
    assert producer["partitioner"] == "murmur2_random"  # keys land where Java's and kafka-python's put them
    assert not any("_" in key for key in {**consumer, **producer, **config.admin_configs()})
    assert config.brokers == "k:9092"
