"""The seam (pump/clients) on kafka-python, the default client: its types and errors translated at the
boundary, its rebalance listener calling the pump's, and the TOMBSTONE marker it needs for keyless nulls."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.consumer.subscription_state import AsyncConsumerRebalanceListener
from kafka.errors import (
    CommitFailedError,
    CorruptRecordError,
    IllegalGenerationError,
    IllegalStateError,
    InvalidRecordError,
    InvalidTopicError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    RebalanceInProgressError,
    UnknownMemberIdError,
)
from kafka.partitioner.sticky import StickyPartitioner
from kafka.serializer import Serializer
from kafka.structs import OffsetAndMetadata, TopicPartition

from transforms.record import Record, make_record

from ..broker_trouble import BrokerTrouble
from ..errors import BrokerUnavailable, GroupMovedOn, RecordRefused
from . import Batch, Partition, Positions, RebalanceListener, TopicSpec

log = logging.getLogger("pump")

# The broker refused this one record (too large, invalid): retrying cannot help, so it fails like a stage.
_RECORD_REFUSALS = (MessageSizeTooLargeError, InvalidRecordError, InvalidTopicError, CorruptRecordError)
# The group moved on (a rebalance): the partitions' new owner processes the records again.
_GROUP_MOVED_ON = (CommitFailedError, RebalanceInProgressError, IllegalGenerationError, UnknownMemberIdError)
_TOPIC_ALREADY_EXISTS = 36  # Kafka's error code: another replica created it first, which is fine
_PRODUCER_CLASS = "kafka.KafkaProducer"


class _Tombstone:
    def __repr__(self) -> str:
        return "TOMBSTONE"


# kafka-python refuses send(value=None, key=None) ("Need at least one: key or value"), yet a record with
# neither is valid Kafka and must pass through (a keyless tombstone, dead-lettered as it came). Its
# check looks at the value before serialisation, so the producer sends this marker and the serializer below
# turns it back into a null value.
TOMBSTONE: Final = _Tombstone()


class NullableValue(Serializer):  # type: ignore[misc]  # kafka-python is untyped
    """Bytes as they are; TOMBSTONE as a null value."""

    def serialize(self, topic: str, headers: Any, value: Any) -> bytes | None:
        return None if value is TOMBSTONE else value


@contextmanager
def _broker_away() -> Iterator[None]:
    """kafka-python's "cannot reach the broker" errors, as the seam's BrokerUnavailable."""
    try:
        yield
    except (KafkaConnectionError, KafkaTimeoutError) as why:
        raise BrokerUnavailable(f"{type(why).__name__}: {why}") from why


class KafkaPython:
    """The seam's clients on kafka-python."""

    def consumer(self, configs: Mapping[str, Any]) -> KafkaPythonConsumer:
        with _broker_away():
            return KafkaPythonConsumer(KafkaConsumer(**configs))

    def producer(self, configs: Mapping[str, Any]) -> KafkaPythonProducer:
        settings = {"partitioner": StickyPartitioner(), **configs, "value_serializer": NullableValue()}
        with _broker_away():
            return KafkaPythonProducer(KafkaProducer(**settings))

    def admin(self, configs: Mapping[str, Any]) -> KafkaPythonAdmin:
        with _broker_away():
            return KafkaPythonAdmin(KafkaAdminClient(**configs))

    def trouble(self, brokers: str, configs: Mapping[str, Any]) -> BrokerTrouble:
        return BrokerTrouble(brokers, configs)


class KafkaPythonConsumer:
    """kafka-python's KafkaConsumer as the seam's Consumer."""

    def __init__(self, consumer: KafkaConsumer) -> None:
        self._consumer = consumer

    def subscribe(self, topics: Sequence[str], listener: RebalanceListener) -> None:
        self._consumer.subscribe(list(topics), listener=_Rebalance(listener, self._consumer))

    def poll(self, timeout_s: float) -> Batch:
        batch = Batch()
        for tp, records in self._consumer.poll(timeout_ms=int(timeout_s * 1000)).items():
            partition = Partition(tp.topic, tp.partition)
            batch.next[partition] = records[-1].offset + 1
            batch.records.extend(map(_to_record, records))
        return batch

    def seek(self, partition: Partition, offset: int) -> bool:
        try:
            self._consumer.seek(TopicPartition(*partition), offset)
        except ValueError:  # "Unassigned partition"
            return False
        return True

    def commit(self, positions: Positions, timeout_s: float) -> None:
        offsets = {TopicPartition(*p): OffsetAndMetadata(offset, "", -1) for p, offset in positions.items()}
        try:
            self._consumer.commit(offsets=offsets, timeout_ms=int(timeout_s * 1000))
        except _GROUP_MOVED_ON as why:
            raise GroupMovedOn(f"{type(why).__name__}: {why}") from why
        except KafkaError as why:
            raise BrokerUnavailable(f"Kafka did not accept the offset commit: {why}") from why

    def highwater(self, partition: Partition) -> int | None:
        try:
            return self._consumer.highwater(TopicPartition(*partition))  # type: ignore[no-any-return]
        except IllegalStateError:  # revoked meanwhile
            return None

    def probe(self, partitions: Sequence[Partition], timeout_s: float) -> None:
        try:
            self._consumer.end_offsets([TopicPartition(*p) for p in partitions], timeout_ms=int(timeout_s * 1000))
        except KafkaError as why:
            raise BrokerUnavailable(str(why)) from why

    def close(self, timeout_s: float) -> None:
        self._consumer.close(autocommit=False, timeout_ms=int(timeout_s * 1000))


class _Rebalance(AsyncConsumerRebalanceListener):  # type: ignore[misc]  # kafka-python is untyped
    """The pump's RebalanceListener on kafka-python's IO thread, inside the loop's poll() (so the loop is not
    running meanwhile); being async, it may await the commit before revocation without blocking heartbeats."""

    def __init__(self, listener: RebalanceListener, consumer: KafkaConsumer) -> None:
        self._listener = listener
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        pending = self._listener.revoked(_partitions(revoked))
        if pending:
            offsets = {TopicPartition(*p): OffsetAndMetadata(offset, "", -1) for p, offset in pending.items()}
            try:
                await self._consumer.commit_async(offsets)
            except Exception as why:
                log.warning("Could not commit before the rebalance (%s): those records are processed again.", why)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._listener.assigned(_partitions(assigned))

    async def on_partitions_lost(self, lost: set[TopicPartition]) -> None:
        self._listener.lost(_partitions(lost))


def _partitions(tps: set[TopicPartition]) -> set[Partition]:
    return {Partition(tp.topic, tp.partition) for tp in tps}


def _to_record(record: Any) -> Record:
    timestamp = record.timestamp
    return make_record(
        record.topic,
        record.value,
        record.key,
        tuple(record.headers),
        record.partition,
        record.offset,
        timestamp if timestamp is not None and timestamp >= 0 else None,
    )


class KafkaPythonProducer:
    """kafka-python's KafkaProducer as the seam's Producer: keeps each send's future until the next flush."""

    def __init__(self, producer: KafkaProducer) -> None:
        self._producer = producer
        self._sent: list[tuple[int, str, Any]] = []  # (tag, topic, its future or the error that refused it)

    def send(
        self,
        tag: int,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        timestamp_ms: int | None,
    ) -> None:
        try:
            future = self._producer.send(
                topic, value=TOMBSTONE if value is None else value, key=key, headers=headers, timestamp_ms=timestamp_ms
            )
        except KafkaTimeoutError as why:
            raise BrokerUnavailable(
                f"Kafka gave no metadata for topic {topic} in time ({why}): the broker is unreachable, or the "
                "topic does not exist and the broker does not create topics."
            ) from why
        except (*_RECORD_REFUSALS, ValueError, TypeError) as why:
            future = why
        self._sent.append((tag, topic, future))

    def flush(self, timeout_s: float) -> list[tuple[int, RecordRefused]]:
        sent, self._sent = self._sent, []
        try:
            self._producer.flush(timeout=timeout_s)
        except KafkaTimeoutError as why:
            raise BrokerUnavailable(f"Kafka did not acknowledge the batch within {timeout_s:.0f}s ({why})") from why
        refused: list[tuple[int, RecordRefused]] = []
        for tag, topic, future in sent:
            error = future if isinstance(future, Exception) else future.exception if future.failed() else None
            if error is None:
                continue
            if not isinstance(error, (*_RECORD_REFUSALS, ValueError, TypeError)):
                raise BrokerUnavailable(f"Kafka did not acknowledge a record for topic {topic}: {error}")
            kind = f"{type(error).__module__}.{type(error).__qualname__}"
            refused.append((tag, RecordRefused(str(error), error_class=kind, producer_class=_PRODUCER_CLASS)))
        return refused

    def close(self, timeout_s: float) -> None:
        self._producer.close(timeout=timeout_s)


class KafkaPythonAdmin:
    """kafka-python's KafkaAdminClient as the seam's Admin."""

    def __init__(self, admin: KafkaAdminClient) -> None:
        self._admin = admin

    def topic_names(self) -> set[str]:
        with _broker_away():
            return set(self._admin.list_topics())

    def create_topics(self, specs: Sequence[TopicSpec]) -> dict[str, str]:
        new_topics = {
            s.name: {"num_partitions": s.partitions, "replication_factor": s.replication_factor} for s in specs
        }
        with _broker_away():
            response = self._admin.create_topics(new_topics, raise_errors=False)
            refused = {
                topic["name"]: topic.get("error_message") or f"error code {topic['error_code']}"
                for topic in response.get("topics", [])
                if topic.get("error_code") not in (0, _TOPIC_ALREADY_EXISTS)
            }
            if not refused:
                self._admin.wait_for_topics([s.name for s in specs])
        return refused

    def close(self) -> None:
        self._admin.close()
