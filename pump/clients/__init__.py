"""The pump's Kafka client seam: what the loop asks of a consumer, a producer and an admin client, in the
pump's own types, and `kafka_clients()`, which picks the implementation `router.kafka.client` names.

Implementations: kafka_python.py (the default), librdkafka.py (confluent-kafka, an install extra) and, in
the tests, tests/pump/fake_kafka.py (an in-memory broker). An implementation translates its client's types
and errors at this boundary, so that nothing of a client library reaches the loop. The contract, which
every implementation keeps:

- Settings arrive in the client's own terms (kafka-python keyword arguments such as `bootstrap_servers`,
  `max_poll_records`; librdkafka properties such as `bootstrap.servers`), mapped from Kafka's property names
  by python_router.kafka_config (one declaration per setting, both forms) and merged with the pump's defaults
  for that client (pump/config.py). A setting a client cannot honour is refused there, at startup.
- Errors: pump.errors.BrokerUnavailable when the broker cannot be reached or does not answer in time (the
  loop rewinds and retries); pump.errors.GroupMovedOn when a commit meets a rebalance;
  pump.errors.RecordRefused for one record the broker refuses for what it is (reported by
  Producer.flush(), never raised). Anything else is a bug and propagates.
- All calls come from the loop's thread, except RebalanceListener's methods, which the consumer calls from
  inside its own poll() (the loop is waiting in poll() meanwhile).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from transforms.record import Record

from ..broker_trouble import Diagnosis
from ..errors import KafkaClientMissing, RecordRefused


class Partition(NamedTuple):
    """A topic's partition: the key of positions and offsets (equal to kafka-python's TopicPartition)."""

    topic: str
    partition: int


# Per partition, the offset of the next record to read: what a commit stores, and what a seek goes to.
Positions = Mapping[Partition, int]


@dataclass(slots=True)
class Batch:
    """What one poll returned: the records in order (each partition's in offset order), and per partition
    the offset after its last record (the partition's position once they are done)."""

    records: list[Record] = field(default_factory=list)
    next: dict[Partition, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic the pump needs, and how to create it when missing (replication -1: the broker's default;
    `configs`: topic configs to create it with, such as max.message.bytes)."""

    name: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str] = field(default_factory=dict)


class RebalanceListener(Protocol):
    """The pump's side of a rebalance; the consumer calls it from inside poll(). With the cooperative
    assignor each call names only the partitions that change, not the whole assignment."""

    def assigned(self, partitions: set[Partition]) -> None:
        """These partitions are now this member's (maybe none: more members than partitions)."""
        ...

    def revoked(self, partitions: set[Partition]) -> Positions:
        """These partitions are about to go to another member: returns the acknowledged positions still to
        commit for them, which the consumer commits before it lets them go (a failure there is logged:
        their next owner then processes those records again). It may flush the producer first (the pump
        acknowledges the batch it has in flight), so the consumer must not hold a lock the producer needs."""
        ...

    def lost(self, partitions: set[Partition]) -> None:
        """These partitions are already someone else's (the session expired): nothing may be committed."""
        ...


class Consumer(Protocol):
    """A group member reading the input topic. It never commits by itself (no auto-commit, not on close)."""

    def subscribe(self, topics: Sequence[str], listener: RebalanceListener) -> None:
        """Join the group for `topics` (on the first poll); `listener` hears of every rebalance."""
        ...

    def poll(self, timeout_s: float) -> Batch:
        """The next records of the assigned partitions, at most the configured `max_poll_records`, waiting up
        to `timeout_s` for some; an empty Batch when none came (also while the broker is away)."""
        ...

    def seek(self, partition: Partition, offset: int) -> bool:
        """Make the next poll read `partition` from `offset`; False when the partition is no longer
        assigned to this member (its next owner resumes from the committed offset)."""
        ...

    def commit(self, positions: Positions, timeout_s: float) -> None:
        """Store `positions` as the group's committed offsets, synchronously. Raises GroupMovedOn during a
        rebalance, BrokerUnavailable when the broker does not accept it in time."""
        ...

    def highwater(self, partition: Partition) -> int | None:
        """The partition's end offset as of the last fetch, without a round trip; None when not known (not
        fetched yet, or no longer assigned). For the lag."""
        ...

    def probe(self, partitions: Sequence[Partition], timeout_s: float) -> None:
        """One round trip to the broker about `partitions` (their end offsets), to tell that it answers when
        the input is idle. Raises BrokerUnavailable when it does not answer in time."""
        ...

    def close(self, timeout_s: float) -> None:
        """Leave the group (its partitions move at once) and release the connections, committing nothing."""
        ...


class Producer(Protocol):
    """Sends records and reports, at each flush, which ones the broker refused."""

    def send(
        self,
        tag: int,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        timestamp_ms: int | None,
    ) -> None:
        """Hand one record to the client (value None: a tombstone, also without a key). `tag` is the pump's
        name for it, returned by flush() if it is refused. A record the client refuses at once (too large,
        bad headers) is reported by the next flush() too. Raises BrokerUnavailable when the client cannot
        take it in time (no metadata for the topic, its buffer full). `headers` may be the same list for
        many records: read it, never change it."""
        ...

    def flush(self, timeout_s: float) -> list[tuple[int, RecordRefused]]:
        """Wait until every record sent and not yet reported is acknowledged by the broker (acks=all);
        returns the (tag, why) of those refused for what they are, in the order they were sent. Raises
        BrokerUnavailable when not all were acknowledged within `timeout_s`: those stay pending, and the next
        flush waits for them again (the client keeps sending them; nothing is sent twice). Raises Undelivered
        naming the records the client gave up on for a broker reason: those are the caller's to send again.
        A client left unable to send by an error (kafka-python's idempotent producer after a refusal) is
        replaced, and what it had not delivered is reported Undelivered."""
        ...

    def close(self, timeout_s: float) -> None:
        """Deliver what is pending within `timeout_s` if possible, then release the connections; what is
        still pending then is dropped (never acknowledged, so never committed: processed again)."""
        ...


class TransactionalProducer(Producer, Protocol):
    """A producer with a transactional.id (router.delivery=exactly-once): records sent between begin() and
    commit() become visible to read_committed consumers together with the consumed offsets, or not at all.
    Building it (KafkaClients.transactional_producer) fences any older producer with the same
    transactional.id and aborts its open transaction. Raises pump.errors.Fenced once a newer one took over."""

    def begin(self) -> None:
        """Open the next transaction (local: no round trip)."""
        ...

    def commit(self, positions: Positions, consumer: Consumer, timeout_s: float) -> None:
        """Add `positions` as `consumer`'s group offsets to the transaction (with its group metadata, so
        that the broker refuses a member the group has moved on from), then commit it. Once the commit is
        asked, it returns only when its outcome is known (a commit cannot be aborted): `timeout_s` bounds
        the steps before. Raises Fenced, GroupMovedOn, TransactionFailed or BrokerUnavailable; after any of
        them the transaction must be aborted."""
        ...

    def abort(self, timeout_s: float) -> None:
        """Abort the open transaction: nothing of it becomes visible. Raises Fenced or BrokerUnavailable."""
        ...


class Admin(Protocol):
    """Topic provisioning."""

    def topic_names(self) -> set[str]:
        """The names of the topics that exist. Raises BrokerUnavailable when the broker does not answer."""
        ...

    def create_topics(self, specs: Sequence[TopicSpec]) -> dict[str, str]:
        """Create `specs`' topics and wait until they are usable; returns the broker's reason for each one it
        refused to create (a topic that exists meanwhile is no refusal). Raises BrokerUnavailable when the
        broker does not answer."""
        ...

    def max_message_bytes(self, topics: Sequence[str]) -> dict[str, int]:
        """Each topic's largest record batch in force (its max.message.bytes, or the broker's default).
        Raises BrokerUnavailable when the broker does not answer."""
        ...

    def close(self) -> None: ...


class ConnectionTrouble(Protocol):
    """Why the client cannot connect (credentials, certificate, protocol), as it learns it, in plain words."""

    def install(self) -> None:
        """Start watching the client (called once, before the first client is built)."""
        ...

    def remove(self) -> None: ...

    def diagnosis(self) -> Diagnosis | None:
        """The latest cause seen, at once and without blocking (the health reads it from another thread)."""
        ...

    def explain(self) -> Diagnosis | None:
        """After a failed connection: its cause, probing the broker if need be; None when simply away."""
        ...

    def missing_topics(self, since: float) -> list[str]:
        """Topics the client found missing from the cluster's metadata after `since` (time.monotonic()): a
        topic deleted while the pump sends to it. At once and without blocking."""
        ...

    def clear(self) -> None:
        """Connected: forget the cause."""
        ...


class KafkaClients(Protocol):
    """Builds one client library's consumer, producer and admin client. Building may raise
    BrokerUnavailable (the broker cannot be reached yet: the pump retries)."""

    def consumer(self, configs: Mapping[str, Any]) -> Consumer: ...

    def producer(self, configs: Mapping[str, Any]) -> Producer: ...

    def admin(self, configs: Mapping[str, Any]) -> Admin: ...

    def transactional_producer(self, configs: Mapping[str, Any]) -> TransactionalProducer:
        """A producer for exactly-once delivery; `configs` hold its transactional.id (in the client's terms)."""
        ...

    def trouble(self, brokers: str, configs: Mapping[str, Any]) -> ConnectionTrouble:
        """The watcher of connection failures for clients built with `configs` (in the client's terms)."""
        ...


def require(name: str) -> None:
    """Raises KafkaClientMissing, saying what to install, when the library of client `name` is not installed
    (checked at startup, before anything connects)."""
    if name == "librdkafka" and importlib.util.find_spec("confluent_kafka") is None:
        raise KafkaClientMissing(
            "router.kafka.client=librdkafka needs the confluent-kafka package, which is not installed: "
            "pip install 'python-router[librdkafka]' (the image has it), or set router.kafka.client=kafka-python"
        )


def kafka_clients(name: str) -> KafkaClients:
    """The implementation `router.kafka.client` names (pump.config.KAFKA_CLIENTS lists the valid names)."""
    require(name)
    if name == "librdkafka":
        from .librdkafka import Librdkafka

        return Librdkafka()
    from .kafka_python import KafkaPython

    return KafkaPython()


__all__ = [
    "Admin",
    "Batch",
    "ConnectionTrouble",
    "Consumer",
    "KafkaClients",
    "Partition",
    "Positions",
    "Producer",
    "RebalanceListener",
    "TopicSpec",
    "TransactionalProducer",
    "kafka_clients",
    "require",
]
