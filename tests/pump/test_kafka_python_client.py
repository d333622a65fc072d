"""The seam's kafka-python implementation, at its boundary: kafka-python's answers and errors become the
pump's types (stand-ins for kafka-python's clients; the integration tests run the real ones)."""

from __future__ import annotations

from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError, NotLeaderForPartitionError
from kafka.future import Future

from pump.clients import TopicSpec
from pump.clients.kafka_python import TOMBSTONE, KafkaPythonAdmin, KafkaPythonProducer, NullableValue
from pump.errors import BrokerUnavailable


class AdminAnswering:
    """KafkaAdminClient.create_topics answering with Kafka's per-topic error codes."""

    def __init__(self, codes: dict[str, tuple[int, str]]) -> None:
        self.codes = codes
        self.waited_for: list[str] = []

    def create_topics(self, new_topics: dict[str, Any], raise_errors: bool = True) -> dict[str, Any]:
        assert raise_errors is False
        return {"topics": [{"name": n, "error_code": c, "error_message": m} for n, (c, m) in self.codes.items()]}

    def wait_for_topics(self, names: list[str]) -> None:
        self.waited_for = names


def test_a_topic_another_replica_created_first_is_no_refusal() -> None:
    admin = AdminAnswering({"evenDest": (36, "Topic 'evenDest' already exists."), "oddDest": (0, "")})
    refused = KafkaPythonAdmin(admin).create_topics([TopicSpec("evenDest", 1, 1), TopicSpec("oddDest", 1, 1)])  # type: ignore[arg-type]
    assert refused == {}
    assert admin.waited_for == ["evenDest", "oddDest"]


def test_a_topic_the_broker_will_not_create_comes_back_with_its_reason() -> None:
    admin = AdminAnswering({"oddDest": (38, "Replication factor: 3 larger than available brokers: 1.")})
    refused = KafkaPythonAdmin(admin).create_topics([TopicSpec("oddDest", 1, 3)])  # type: ignore[arg-type]
    assert refused == {"oddDest": "Replication factor: 3 larger than available brokers: 1."}


class ProducerRecording:
    """KafkaProducer.send/flush: each send's future, settled by the test."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.futures: list[Future] = []
        self.flush_error: Exception | None = None

    def send(self, topic: str, **kwargs: Any) -> Future:
        if kwargs["headers"] == "bad":
            raise TypeError("All headers items must be (str, bytes) tuples")
        self.sent.append({"topic": topic, **kwargs})
        self.futures.append(Future())
        return self.futures[-1]

    def flush(self, timeout: float | None = None) -> None:
        if self.flush_error is not None:
            raise self.flush_error


def test_a_null_value_goes_out_as_the_tombstone_marker_that_serializes_to_null() -> None:
    stub = ProducerRecording()
    KafkaPythonProducer(stub).send(0, "t", None, None, [], None)  # type: ignore[arg-type]
    assert stub.sent[0]["value"] is TOMBSTONE and stub.sent[0]["key"] is None
    assert NullableValue().serialize("t", [], TOMBSTONE) is None


def test_flush_names_the_refused_records_by_tag_in_send_order() -> None:
    stub = ProducerRecording()
    producer = KafkaPythonProducer(stub)  # type: ignore[arg-type]
    for tag in range(3):
        producer.send(tag, "t", b"k", b"v", [], None)
    producer.send(3, "t", b"k", b"v", "bad", None)  # type: ignore[arg-type]
    stub.futures[0].success(None)
    stub.futures[1].failure(MessageSizeTooLargeError("too big"))
    stub.futures[2].success(None)

    [(tag, why), (tag2, why2)] = producer.flush(1.0)

    assert (tag, why.error_class, why.producer_class) == (
        1,
        "kafka.errors.MessageSizeTooLargeError",
        "kafka.KafkaProducer",
    )
    assert (tag2, why2.error_class) == (3, "builtins.TypeError")
    assert producer.flush(1.0) == []  # each send is answered once


def test_a_record_not_acknowledged_for_another_reason_is_the_broker_being_unavailable() -> None:
    stub = ProducerRecording()
    producer = KafkaPythonProducer(stub)  # type: ignore[arg-type]
    producer.send(0, "evenDest", b"k", b"v", [], None)
    stub.futures[0].failure(NotLeaderForPartitionError("moved"))
    with pytest.raises(BrokerUnavailable, match="did not acknowledge a record for topic evenDest"):
        producer.flush(1.0)
    stub.flush_error = KafkaTimeoutError("Timeout after waiting for 1 secs.")
    with pytest.raises(BrokerUnavailable, match="did not acknowledge the batch within 1s"):
        producer.flush(1.0)
