"""An in-memory Kafka behind the pump's client protocols (pump/clients.py), for unit tests of the loop:
topics with partitions, a group's committed offsets, and switches to make the broker fail on purpose.

It behaves as kafka-python does where the pump relies on it: poll() joins on first use and calls the
rebalance listener, returns at most max_poll_records, honours seek(); send() refuses a record with neither
key nor value (hence the pump's TOMBSTONE marker); flush() delivers, or times out while the broker is down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaTimeoutError
from kafka.future import Future
from kafka.structs import OffsetAndMetadata, TopicPartition

from pump.clients import TOMBSTONE


@dataclass
class Stored:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    timestamp: int | None


@dataclass
class FakeBroker:
    topics: dict[str, list[list[Stored]]] = field(default_factory=dict)
    committed: dict[tuple[str, TopicPartition], int] = field(default_factory=dict)
    down: bool = False  # flush, commit and end_offsets time out; poll returns nothing
    commit_calls: list[dict[TopicPartition, int]] = field(default_factory=list)
    # Called with each (topic, value) delivered: an exception refuses that record.
    refuse: Callable[[str, bytes | None], Exception | None] = lambda topic, value: None
    created: list[tuple[str, int, int]] = field(default_factory=list)

    def create_topic(self, name: str, partitions: int = 1) -> None:
        self.topics[name] = [[] for _ in range(partitions)]

    def produce(
        self, topic: str, value: bytes | None, key: bytes | None = None, headers: list[tuple[str, bytes]] | None = None,
        partition: int = 0, timestamp: int | None = 1_558_115_796_000,
    ) -> None:  # fmt: skip
        self.topics[topic][partition].append(Stored(key, value, list(headers or []), timestamp))

    def records(self, topic: str) -> list[Stored]:
        return [record for partition in self.topics.get(topic, []) for record in partition]

    def values(self, topic: str) -> list[bytes | None]:
        return [record.value for record in self.records(topic)]

    def committed_offset(self, group: str, topic: str, partition: int = 0) -> int | None:
        return self.committed.get((group, TopicPartition(topic, partition)))


class FakeConsumer:
    def __init__(self, broker: FakeBroker, configs: Mapping[str, Any]) -> None:
        self.broker = broker
        self.configs = dict(configs)
        self.group = configs["group_id"]
        self.max_poll_records = configs.get("max_poll_records", 500)
        self.listener: Any = None
        self.topics: list[str] = []
        self.positions: dict[TopicPartition, int] = {}
        self.joined = False
        self.closed_with: dict[str, Any] | None = None
        self.on_idle: Callable[[], None] = lambda: None  # called when a poll finds nothing to return
        self.seeks: list[tuple[TopicPartition, int]] = []

    def subscribe(self, topics: list[str], listener: Any = None) -> None:
        self.topics, self.listener = list(topics), listener

    def _join(self) -> None:
        assigned = {TopicPartition(topic, p) for topic in self.topics for p in range(len(self.broker.topics[topic]))}
        for tp in assigned:
            start = self.broker.committed.get((self.group, tp))
            if start is None:
                start = 0 if self.configs["auto_offset_reset"] == "earliest" else len(self._log(tp))
            self.positions[tp] = start
        self.joined = True
        asyncio.run(self.listener.on_partitions_assigned(assigned))

    def revoke_all(self) -> None:
        """A rebalance: the listener hears of it, and positions restart from the committed offsets."""
        asyncio.run(self.listener.on_partitions_revoked(set(self.positions)))
        self.positions.clear()
        self.joined = False

    def _log(self, tp: TopicPartition) -> list[Stored]:
        return self.broker.topics[tp.topic][tp.partition]

    def poll(self, timeout_ms: int = 0) -> dict[TopicPartition, list[Any]]:
        if self.broker.down:
            return {}
        if not self.joined:
            self._join()
        result: dict[TopicPartition, list[Any]] = {}
        budget = self.max_poll_records
        for tp in sorted(self.positions):
            log, position = self._log(tp), self.positions[tp]
            taken = log[position : position + budget]
            if taken:
                result[tp] = [_consumer_record(tp, position + i, stored) for i, stored in enumerate(taken)]
                self.positions[tp] = position + len(taken)
                budget -= len(taken)
        if not result:
            self.on_idle()
        return result

    def seek(self, partition: TopicPartition, offset: int) -> None:
        if partition not in self.positions:
            raise ValueError("Unassigned partition")
        self.seeks.append((partition, offset))
        self.positions[partition] = offset

    def commit(self, offsets: Mapping[TopicPartition, OffsetAndMetadata], timeout_ms: int | None = None) -> None:
        if self.broker.down:
            raise KafkaTimeoutError("commit timed out (the fake broker is down)")
        self.broker.commit_calls.append({tp: o.offset for tp, o in offsets.items()})
        for tp, o in offsets.items():
            self.broker.committed[(self.group, tp)] = o.offset

    def commit_async(self, offsets: Mapping[TopicPartition, OffsetAndMetadata]) -> Future:
        future = Future()
        try:
            self.commit(offsets)
        except KafkaTimeoutError as why:
            return future.failure(why)
        return future.success(None)

    def highwater(self, partition: TopicPartition) -> int | None:
        return len(self._log(partition))

    def end_offsets(self, partitions: list[TopicPartition], timeout_ms: int | None = None) -> dict[TopicPartition, int]:
        if self.broker.down:
            raise KafkaTimeoutError("end_offsets timed out (the fake broker is down)")
        return {tp: len(self._log(tp)) for tp in partitions}

    def close(self, autocommit: bool = True, timeout_ms: int | None = None) -> None:
        self.closed_with = {"autocommit": autocommit, "timeout_ms": timeout_ms}
        if self.joined:
            self.revoke_all()


class FakeFuture:
    def __init__(self) -> None:
        self.is_done = False
        self.exception: Exception | None = None

    def failed(self) -> bool:
        return self.exception is not None


class FakeProducer:
    def __init__(self, broker: FakeBroker, configs: Mapping[str, Any]) -> None:
        self.broker = broker
        self.configs = dict(configs)
        self.pending: list[tuple[FakeFuture, str, Stored]] = []
        self.flushes = 0
        self.closed = False

    def send(
        self, topic: str, value: Any = None, key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None, timestamp_ms: int | None = None,
    ) -> FakeFuture:  # fmt: skip
        if value is None and key is None:
            raise ValueError("Need at least one: key or value")  # kafka-python's own check
        if not all(isinstance(n, str) and isinstance(v, bytes) for n, v in headers or []):
            raise TypeError("All headers items must be (str, bytes) tuples")
        if topic not in self.broker.topics:
            raise KafkaTimeoutError(f"Failed to update metadata after 10.0 secs (no topic {topic})")
        future = FakeFuture()
        value = None if value is TOMBSTONE else value
        self.pending.append((future, topic, Stored(key, value, list(headers or []), timestamp_ms)))
        return future

    def flush(self, timeout: float | None = None) -> None:
        self.flushes += 1
        if self.broker.down:
            raise KafkaTimeoutError(f"Timeout after waiting for {timeout} secs.")
        for future, topic, stored in self.pending:
            refusal = self.broker.refuse(topic, stored.value)
            if refusal is not None:
                future.exception = refusal
            else:
                self.broker.topics[topic][0].append(stored)
            future.is_done = True
        self.pending.clear()

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


class FakeAdmin:
    def __init__(self, broker: FakeBroker) -> None:
        self.broker = broker
        self.response_errors: dict[str, tuple[int, str]] = {}

    def list_topics(self) -> list[str]:
        if self.broker.down:
            raise KafkaTimeoutError("Unable to bootstrap from the fake broker")
        return list(self.broker.topics)

    def create_topics(self, new_topics: dict[str, dict[str, int]], **kwargs: Any) -> dict[str, Any]:
        topics = []
        for name, spec in new_topics.items():
            code, message = self.response_errors.get(name, (0, None))
            if code == 0:
                self.broker.create_topic(name, spec["num_partitions"])
                self.broker.created.append((name, spec["num_partitions"], spec["replication_factor"]))
            topics.append({"name": name, "error_code": code, "error_message": message})
        return {"topics": topics}

    def wait_for_topics(self, topic_names: list[str], timeout_ms: int = 10000) -> None:
        pass

    def close(self) -> None:
        pass


class FakeClients:
    """The pump's KafkaClients over one FakeBroker; keeps the clients it built for the test to inspect."""

    def __init__(self, broker: FakeBroker) -> None:
        self.broker = broker
        self.consumers: list[FakeConsumer] = []
        self.producers: list[FakeProducer] = []
        self.admin_errors: dict[str, tuple[int, str]] = {}

    def consumer(self, configs: Mapping[str, Any]) -> FakeConsumer:
        self.consumers.append(FakeConsumer(self.broker, configs))
        return self.consumers[-1]

    def producer(self, configs: Mapping[str, Any]) -> FakeProducer:
        self.producers.append(FakeProducer(self.broker, configs))
        return self.producers[-1]

    def admin(self, configs: Mapping[str, Any]) -> FakeAdmin:
        admin = FakeAdmin(self.broker)
        admin.response_errors = self.admin_errors
        return admin


def _consumer_record(tp: TopicPartition, offset: int, stored: Stored) -> Any:
    return ConsumerRecord(
        tp.topic, tp.partition, -1, offset, stored.timestamp if stored.timestamp is not None else -1, 0,
        stored.key, stored.value, list(stored.headers), None,
        len(stored.key or b""), len(stored.value or b""), -1,
    )  # fmt: skip
