"""The seam's kafka-python implementation, at its boundary: kafka-python's answers and errors become the
pump's types (stand-ins for kafka-python's clients; the integration tests run the real ones)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kafka.errors import (
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    RebalanceInProgressError,
)
from kafka.future import Future
from kafka.partitioner.default import DefaultPartitioner
from kafka.structs import OffsetAndMetadata, TopicPartition

from pump.clients import Partition, TopicSpec
from pump.clients.kafka_python import (
    TOMBSTONE,
    KafkaPythonAdmin,
    KafkaPythonProducer,
    NullableValue,
    Partitioner,
    _Rebalance,
)
from pump.errors import BrokerUnavailable, Undelivered


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


def test_a_record_not_acknowledged_for_another_reason_is_undelivered_to_be_sent_again() -> None:
    stub = ProducerRecording()
    producer = KafkaPythonProducer(stub)  # type: ignore[arg-type]
    producer.send(0, "evenDest", b"k", b"v", [], None)
    producer.send(1, "oddDest", b"k", b"v", [], None)
    stub.futures[0].failure(NotLeaderForPartitionError("moved"))
    stub.futures[1].failure(MessageSizeTooLargeError("too big"))
    with pytest.raises(Undelivered, match=r"did not acknowledge 1 record\(s\), e.g. for topic evenDest") as lost:
        producer.flush(1.0)
    assert lost.value.tags == [0] and [tag for tag, _ in lost.value.refused] == [1]
    stub.flush_error = KafkaTimeoutError("Timeout after waiting for 1 secs.")
    with pytest.raises(BrokerUnavailable, match="did not acknowledge the batch within 1s"):
        producer.flush(1.0)


class Cluster:
    """The part of kafka-python's ClusterMetadata a partitioner reads: partition -> leader (-1: none)."""

    def __init__(self, leaders: dict[int, int]) -> None:
        self.leaders = leaders

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(self.leaders) if topic == "t" else None

    def available_partitions_for_topic(self, topic: str) -> set[int] | None:
        return {p for p, leader in self.leaders.items() if leader != -1} if topic == "t" else None

    def leader_for_partition(self, tp: Any) -> int | None:
        return self.leaders.get(tp.partition) if tp.topic == "t" else None


def test_keys_go_where_kafka_pythons_murmur2_partitioner_sends_them() -> None:
    cluster = Cluster({0: 1, 1: 1, 2: -1, 3: 1, 4: 1})
    keys = [f"key-{i}".encode() for i in range(300)] + [b"", b"\x00\xff"]
    ours = Partitioner()
    assert [ours.partition("t", k, k, b"v", b"v", cluster) for k in keys] == [
        DefaultPartitioner().partition("t", k, k, b"v", b"v", cluster) for k in keys
    ]


def test_a_keyless_record_sticks_to_its_partition_while_it_has_a_leader() -> None:
    cluster = Cluster({0: 1, 1: 1, 2: 1})
    partitioner = Partitioner()
    first = partitioner.partition("t", None, None, b"v", b"v", cluster)
    assert {partitioner.partition("t", None, None, b"v", b"v", cluster) for _ in range(50)} == {first}
    cluster.leaders[first] = -1  # its leader went away: another one, as kafka-python's does
    moved = partitioner.partition("t", None, None, b"v", b"v", cluster)
    assert moved != first and cluster.leaders[moved] != -1
    partitioner.on_new_batch("t", cluster, moved)  # a batch is full: the next records go elsewhere
    assert partitioner.partition("t", None, None, b"v", b"v", cluster) != moved
    with pytest.raises(ValueError, match="not found"):
        partitioner.partition("gone", None, None, b"v", b"v", cluster)


class Listener:
    """The pump's side of a rebalance, recording what it hears; hands back `pending` on revocation."""

    def __init__(self, pending: dict[Any, int]) -> None:
        self.pending = pending
        self.heard: list[tuple[str, set[Any]]] = []

    def assigned(self, partitions: set[Any]) -> None:
        self.heard.append(("assigned", partitions))

    def revoked(self, partitions: set[Any]) -> dict[Any, int]:
        self.heard.append(("revoked", partitions))
        return self.pending

    def lost(self, partitions: set[Any]) -> None:
        self.heard.append(("lost", partitions))


class CommittingConsumer:
    """KafkaConsumer.commit_async: records the offsets, or fails."""

    def __init__(self, fails: bool = False) -> None:
        self.fails = fails
        self.committed: list[dict[Any, Any]] = []

    def commit_async(self, offsets: dict[Any, Any]) -> Future:
        if self.fails:
            return Future().failure(RebalanceInProgressError("too late"))
        self.committed.append(offsets)
        return Future().success(None)


def test_the_pumps_rebalance_listener_hears_its_own_types_and_revocation_commits_what_it_hands_back() -> None:
    listener, consumer = Listener({Partition("t", 1): 42}), CommittingConsumer()
    rebalance = _Rebalance(listener, consumer)  # type: ignore[arg-type]
    asyncio.run(rebalance.on_partitions_assigned({TopicPartition("t", 0), TopicPartition("t", 1)}))
    asyncio.run(rebalance.on_partitions_revoked({TopicPartition("t", 1)}))
    asyncio.run(rebalance.on_partitions_lost({TopicPartition("t", 0)}))

    assert listener.heard == [
        ("assigned", {Partition("t", 0), Partition("t", 1)}),
        ("revoked", {Partition("t", 1)}),
        ("lost", {Partition("t", 0)}),
    ]
    assert consumer.committed == [{TopicPartition("t", 1): OffsetAndMetadata(42, "", -1)}]


def test_a_commit_before_revocation_that_fails_is_logged_and_the_rebalance_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rebalance = _Rebalance(Listener({Partition("t", 0): 7}), CommittingConsumer(fails=True))  # type: ignore[arg-type]
    asyncio.run(rebalance.on_partitions_revoked({TopicPartition("t", 0)}))
    assert "Could not commit before the rebalance" in caplog.text and "processed again" in caplog.text


class FatalAfterRefusal(ProducerRecording):
    """kafka-python's idempotent producer after the broker refused a batch as too large: a fatal state."""

    def __init__(self) -> None:
        super().__init__()
        self._transaction_manager = self
        self.last_error = MessageSizeTooLargeError("too big")
        self.closed = False

    def has_fatal_error(self) -> bool:
        return True

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


def test_a_producer_in_a_fatal_state_is_replaced_and_its_records_sent_again_but_the_cause_only_once() -> None:
    first, built = FatalAfterRefusal(), [ProducerRecording(), ProducerRecording()]
    producer = KafkaPythonProducer(first, rebuild=lambda: built.pop(0))  # type: ignore[arg-type]
    producer.send(0, "evenDest", b"k", b"v" * 10, [], None)
    producer.send(1, "oddDest", b"k", b"v", [], None)
    for future in first.futures:  # the cause, and a record aborted with it: the same error for both
        future.failure(first.last_error)
    with pytest.raises(Undelivered) as lost:
        producer.flush(1.0)
    assert first.closed and lost.value.tags == [0, 1] and lost.value.refused == []

    second = FatalAfterRefusal()
    producer._producer = second  # type: ignore[assignment]  # the replacement fails the same way
    producer.send(0, "evenDest", b"k", b"v" * 10, [], None)
    producer.send(1, "oddDest", b"k", b"v", [], None)
    for future in second.futures:
        future.failure(second.last_error)
    with pytest.raises(Undelivered) as again:
        producer.flush(1.0)
    # In both fatal states in a row: the larger one is taken for the cause and refused; the other goes again.
    assert [tag for tag, _ in again.value.refused] == [0] and again.value.tags == [1]


def test_topics_are_created_with_their_configs() -> None:
    admin = AdminAnswering({"timeDest.dlq": (0, "")})
    created: dict[str, Any] = {}
    answer = admin.create_topics

    def create_topics(new_topics: dict[str, Any], raise_errors: bool = True) -> dict[str, Any]:
        created.update(new_topics)
        return answer(new_topics, raise_errors)

    admin.create_topics = create_topics  # type: ignore[method-assign]
    KafkaPythonAdmin(admin).create_topics([TopicSpec("timeDest.dlq", 1, -1, {"max.message.bytes": "1114124"})])  # type: ignore[arg-type]
    assert created["timeDest.dlq"]["configs"] == {"max.message.bytes": "1114124"}
