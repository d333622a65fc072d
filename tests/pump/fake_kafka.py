"""An in-memory Kafka behind the pump's client seam (pump/clients), for unit tests of the loop: topics with
partitions, a group's committed offsets, and switches to make the broker fail on purpose.

It keeps the seam's contract as the real clients do: poll() joins on first use and calls the rebalance
listener, returns at most max_poll_records, honours seek(); a revocation commits what the listener hands
back; flush() delivers and reports refusals, or raises BrokerUnavailable while the broker is down (the
records stay pending and are delivered by a later flush, as a real producer does).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pump.broker_trouble import BrokerTrouble
from pump.clients import Batch, Partition, Positions, RebalanceListener, TopicSpec
from pump.errors import BrokerUnavailable, RecordRefused
from transforms.record import make_record


@dataclass
class Stored:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    timestamp: int | None


@dataclass
class FakeBroker:
    topics: dict[str, list[list[Stored]]] = field(default_factory=dict)
    committed: dict[tuple[str, Partition], int] = field(default_factory=dict)
    down: bool = False  # flush, commit and probe fail; poll returns nothing
    commit_calls: list[dict[Partition, int]] = field(default_factory=list)
    # Called with each (topic, value) delivered: an exception refuses that record.
    refuse: Callable[[str, bytes | None], Exception | None] = lambda topic, value: None
    created: list[tuple[str, int, int]] = field(default_factory=list)
    max_message_bytes: dict[str, int] = field(default_factory=dict)  # a topic's, when not the default

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
        return self.committed.get((group, Partition(topic, partition)))


class FakeConsumer:
    def __init__(self, broker: FakeBroker, configs: Mapping[str, Any]) -> None:
        self.broker = broker
        self.configs = dict(configs)
        self.group = configs["group_id"]
        self.max_poll_records = configs.get("max_poll_records", 500)
        self.listener: RebalanceListener | None = None
        self.topics: list[str] = []
        self.positions: dict[Partition, int] = {}
        self.joined = False
        self.closed_timeout_s: float | None = None
        # Called when a poll that may wait finds nothing (with a batch in flight the pump polls without waiting).
        self.on_idle: Callable[[], None] = lambda: None
        self.seeks: list[tuple[Partition, int]] = []

    def subscribe(self, topics: Sequence[str], listener: RebalanceListener) -> None:
        self.topics, self.listener = list(topics), listener

    def _join(self) -> None:
        assert self.listener is not None
        assigned = {Partition(topic, p) for topic in self.topics for p in range(len(self.broker.topics[topic]))}
        for partition in assigned:
            start = self.broker.committed.get((self.group, partition))
            if start is None:
                start = 0 if self.configs["auto_offset_reset"] == "earliest" else len(self._log(partition))
            self.positions[partition] = start
        self.joined = True
        self.listener.assigned(assigned)

    def revoke_all(self) -> None:
        """A rebalance: the listener hears of it, what it hands back is committed, and positions restart
        from the committed offsets."""
        assert self.listener is not None
        pending = self.listener.revoked(set(self.positions))
        if pending:
            with contextlib.suppress(BrokerUnavailable):  # processed again by the next owner
                self.commit(pending, 1.0)
        self.positions.clear()
        self.joined = False

    def _log(self, partition: Partition) -> list[Stored]:
        return self.broker.topics[partition.topic][partition.partition]

    def poll(self, timeout_s: float) -> Batch:
        batch = Batch()
        if self.broker.down:
            return batch
        if not self.joined:
            self._join()
        budget = self.max_poll_records
        for partition in sorted(self.positions):
            log, position = self._log(partition), self.positions[partition]
            taken = log[position : position + budget]
            if taken:
                batch.records += [_record(partition, position + i, stored) for i, stored in enumerate(taken)]
                batch.next[partition] = self.positions[partition] = position + len(taken)
                budget -= len(taken)
        if not batch.records and timeout_s > 0:
            self.on_idle()
        return batch

    def seek(self, partition: Partition, offset: int) -> bool:
        if partition not in self.positions:
            return False
        self.seeks.append((partition, offset))
        self.positions[partition] = offset
        return True

    def commit(self, positions: Positions, timeout_s: float) -> None:
        if self.broker.down:
            raise BrokerUnavailable("commit timed out (the fake broker is down)")
        self.broker.commit_calls.append(dict(positions))
        for partition, offset in positions.items():
            self.broker.committed[(self.group, partition)] = offset

    def highwater(self, partition: Partition) -> int | None:
        return len(self._log(partition)) if partition in self.positions else None

    def probe(self, partitions: Sequence[Partition], timeout_s: float) -> None:
        if self.broker.down:
            raise BrokerUnavailable("end offsets timed out (the fake broker is down)")

    def close(self, timeout_s: float) -> None:
        self.closed_timeout_s = timeout_s
        if self.joined:
            self.revoke_all()


class FakeProducer:
    def __init__(self, broker: FakeBroker, configs: Mapping[str, Any]) -> None:
        self.broker = broker
        self.configs = dict(configs)
        self.pending: list[tuple[int, str, Stored | Exception]] = []  # tag, topic, the record or its refusal
        self.flushes = 0
        self.closed = False

    def send(
        self, tag: int, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]],
        timestamp_ms: int | None,
    ) -> None:  # fmt: skip
        if topic not in self.broker.topics:
            raise BrokerUnavailable(f"no metadata for topic {topic} (the fake broker has no such topic)")
        if not all(isinstance(n, str) and isinstance(v, bytes) for n, v in headers):
            self.pending.append((tag, topic, TypeError("All headers items must be (str, bytes) tuples")))
        else:
            self.pending.append((tag, topic, Stored(key, value, list(headers), timestamp_ms)))

    def flush(self, timeout_s: float) -> list[tuple[int, RecordRefused]]:
        self.flushes += 1
        if self.broker.down:
            raise BrokerUnavailable(f"Timeout after waiting for {timeout_s} secs (the fake broker is down).")
        refused: list[tuple[int, RecordRefused]] = []
        for tag, topic, stored in self.pending:
            error = stored if isinstance(stored, Exception) else self.broker.refuse(topic, stored.value)
            if error is not None:
                cls = type(error)
                kind = f"{cls.__module__}.{cls.__qualname__}"
                refused.append((tag, RecordRefused(str(error), error_class=kind, producer_class="FakeProducer")))
            elif isinstance(stored, Stored):
                self.broker.topics[topic][0].append(stored)
        self.pending.clear()
        return refused

    def close(self, timeout_s: float) -> None:
        self.closed = True


class FakeAdmin:
    def __init__(self, broker: FakeBroker) -> None:
        self.broker = broker
        self.refusals: dict[str, str] = {}  # topic -> why the broker will not create it

    def topic_names(self) -> set[str]:
        if self.broker.down:
            raise BrokerUnavailable("Unable to bootstrap from the fake broker")
        return set(self.broker.topics)

    def create_topics(self, specs: Sequence[TopicSpec]) -> dict[str, str]:
        refused = {}
        for spec in specs:
            if spec.name in self.refusals:
                refused[spec.name] = self.refusals[spec.name]
            else:
                self.broker.create_topic(spec.name, spec.partitions)
                if "max.message.bytes" in spec.configs:
                    self.broker.max_message_bytes[spec.name] = int(spec.configs["max.message.bytes"])
                self.broker.created.append((spec.name, spec.partitions, spec.replication_factor))
        return refused

    def max_message_bytes(self, topics: Sequence[str]) -> dict[str, int]:
        if self.broker.down:
            raise BrokerUnavailable("Unable to bootstrap from the fake broker")
        return {topic: self.broker.max_message_bytes.get(topic, 1_048_588) for topic in topics}

    def close(self) -> None:
        pass


class FakeClients:
    """The pump's KafkaClients over one FakeBroker; keeps the clients it built for the test to inspect."""

    def __init__(self, broker: FakeBroker) -> None:
        self.broker = broker
        self.consumers: list[FakeConsumer] = []
        self.producers: list[FakeProducer] = []

    def consumer(self, configs: Mapping[str, Any]) -> FakeConsumer:
        self.consumers.append(FakeConsumer(self.broker, configs))
        return self.consumers[-1]

    def producer(self, configs: Mapping[str, Any]) -> FakeProducer:
        self.producers.append(FakeProducer(self.broker, configs))
        return self.producers[-1]

    def admin(self, configs: Mapping[str, Any]) -> FakeAdmin:
        return FakeAdmin(self.broker)

    def trouble(self, brokers: str, configs: Mapping[str, Any]) -> BrokerTrouble:
        return BrokerTrouble(brokers, configs)


def _record(partition: Partition, offset: int, stored: Stored) -> Any:
    return make_record(
        partition.topic, stored.value, stored.key, tuple(stored.headers), partition.partition, offset, stored.timestamp
    )
