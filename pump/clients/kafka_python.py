"""The seam (pump/clients) on kafka-python, the default client: its types and errors translated at the
boundary, its rebalance listener calling the pump's, and the TOMBSTONE marker it needs for keyless nulls."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final, NoReturn

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.consumer.subscription_state import AsyncConsumerRebalanceListener
from kafka.errors import (
    CommitFailedError,
    CorruptRecordError,
    FencedInstanceIdError,
    IllegalGenerationError,
    IllegalStateError,
    InvalidProducerEpochError,
    InvalidRecordError,
    InvalidTopicError,
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    ProducerFencedError,
    RebalanceInProgressError,
    UnknownError,
    UnknownMemberIdError,
)
from kafka.partitioner.sticky import StickyPartitioner
from kafka.serializer import Serializer
from kafka.structs import OffsetAndMetadata, TopicPartition

from transforms.record import Record, make_record

from ..broker_trouble import BrokerTrouble
from ..errors import FENCED_ADVICE, BrokerUnavailable, Fenced, GroupMovedOn, RecordRefused, RefusedInTransaction
from . import Batch, Consumer, Partition, Positions, RebalanceListener, TopicSpec

log = logging.getLogger("pump")

# The broker refused this one record (too large, invalid): retrying cannot help, so it fails like a stage.
_RECORD_REFUSALS = (MessageSizeTooLargeError, InvalidRecordError, InvalidTopicError, CorruptRecordError)
# The group moved on (a rebalance): the partitions' new owner processes the records again.
_GROUP_MOVED_ON = (CommitFailedError, RebalanceInProgressError, IllegalGenerationError, UnknownMemberIdError)
# A newer instance with this one's identity took its place (KIP-345, KIP-98): fatal, this one stops.
_FENCED = (FencedInstanceIdError, ProducerFencedError, InvalidProducerEpochError)
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
def _fenced(configs: Mapping[str, Any]) -> Iterator[None]:
    """kafka-python's "a newer member took this identity" errors, as the seam's Fenced; also when it wraps one
    ("Cannot perform send because at least one previous transactional ... request has failed")."""
    try:
        yield
    except KafkaError as why:
        cause = next((e for e in (why, *why.args) if isinstance(e, _FENCED)), None)
        if cause is None:
            raise
        if isinstance(cause, FencedInstanceIdError):
            identity = f"group.instance.id {configs.get('group_instance_id')} of group {configs.get('group_id')}"
            raise Fenced(f"Fenced: {identity} now belongs to another consumer ({why}): {FENCED_ADVICE}.") from why
        identity = f"transactional.id {configs.get('transactional_id')}"
        raise Fenced(f"Fenced: {identity} now belongs to another producer ({why}): {FENCED_ADVICE}.") from why


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
            return KafkaPythonConsumer(KafkaConsumer(**configs), configs)

    def producer(self, configs: Mapping[str, Any]) -> KafkaPythonProducer:
        settings = {"partitioner": StickyPartitioner(), **configs, "value_serializer": NullableValue()}
        with _broker_away():
            return KafkaPythonProducer(KafkaProducer(**settings), configs)

    def admin(self, configs: Mapping[str, Any]) -> KafkaPythonAdmin:
        with _broker_away():
            return KafkaPythonAdmin(KafkaAdminClient(**configs))

    def transactional_producer(self, configs: Mapping[str, Any]) -> KafkaPythonTransactionalProducer:
        return KafkaPythonTransactionalProducer(_transactional_producer(configs), configs)

    def trouble(self, brokers: str, configs: Mapping[str, Any]) -> BrokerTrouble:
        return BrokerTrouble(brokers, configs)


class KafkaPythonConsumer:
    """kafka-python's KafkaConsumer as the seam's Consumer."""

    def __init__(self, consumer: KafkaConsumer, configs: Mapping[str, Any]) -> None:
        self._consumer = consumer
        self._configs = configs

    def subscribe(self, topics: Sequence[str], listener: RebalanceListener) -> None:
        self._consumer.subscribe(list(topics), listener=_Rebalance(listener, self._consumer))

    def poll(self, timeout_s: float) -> Batch:
        batch = Batch()
        with _fenced(self._configs):
            polled = self._consumer.poll(timeout_ms=int(timeout_s * 1000))
        for tp, records in polled.items():
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
            with _fenced(self._configs):
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

    def __init__(self, producer: KafkaProducer, configs: Mapping[str, Any] | None = None) -> None:
        self._producer = producer
        self._configs = configs or {}
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
            with _fenced(self._configs):
                future = self._producer.send(
                    topic,
                    value=TOMBSTONE if value is None else value,
                    key=key,
                    headers=headers,
                    timestamp_ms=timestamp_ms,
                )
        except KafkaTimeoutError as why:
            raise BrokerUnavailable(
                f"Kafka gave no metadata for topic {topic} in time ({why}): the broker is unreachable, or the "
                "topic does not exist and the broker does not create topics."
            ) from why
        except (*_RECORD_REFUSALS, ValueError, TypeError) as why:
            future = why
        except KafkaError as why:  # a transaction in error: the loop aborts it and retries the batch
            self._not_taken(topic, why)
            return
        self._sent.append((tag, topic, future))

    def flush(self, timeout_s: float) -> list[tuple[int, RecordRefused]]:
        sent, self._sent = self._sent, []
        self._wait_for_acknowledgements(timeout_s)
        refused, failed = _settle(sent)
        if failed is not None:
            self._raise_failed(*failed)
        return refused

    def _wait_for_acknowledgements(self, timeout_s: float) -> None:
        try:
            self._producer.flush(timeout=timeout_s)
        except KafkaTimeoutError as why:
            raise BrokerUnavailable(f"Kafka did not acknowledge the batch within {timeout_s:.0f}s ({why})") from why
        except UnknownError as why:  # kafka-python 3.0's "Future not done", seen after a failed transaction
            raise BrokerUnavailable(f"Kafka did not acknowledge the batch ({why})") from why

    def _raise_failed(self, topic: str, error: BaseException) -> NoReturn:
        if isinstance(error, _FENCED):
            with _fenced(self._configs):
                raise error
        raise BrokerUnavailable(f"Kafka did not acknowledge a record for topic {topic}: {error}")

    def _not_taken(self, topic: str, why: KafkaError) -> None:
        """send() failed for a reason of the producer's, not the record's."""
        raise BrokerUnavailable(f"Kafka did not take a record for topic {topic}: {why}") from why

    def close(self, timeout_s: float) -> None:
        self._producer.close(timeout=timeout_s)


def _transactional_producer(configs: Mapping[str, Any]) -> KafkaProducer:
    """A KafkaProducer with `configs`' transactional_id, its transactions initialised: this fences the older
    producer with the same id, and aborts its open transaction."""
    settings = {"partitioner": StickyPartitioner(), **configs, "value_serializer": NullableValue()}
    with _broker_away():
        producer = KafkaProducer(**settings)
    try:
        with _fenced(configs), _broker_away():
            producer.init_transactions()
    except BaseException:
        producer.close(timeout=0)
        raise
    return producer


class KafkaPythonTransactionalProducer(KafkaPythonProducer):
    """The seam's TransactionalProducer on kafka-python. Its transaction calls wait without a timeout of their
    own (kafka-python 3.0 has none): they return when the broker answers; the shutdown watchdog bounds them."""

    _doomed = False  # the broker refused a record since the last flush
    _refused = False  # ... since the transaction began

    def begin(self) -> None:
        self._refused = False
        with _fenced(self._configs):
            self._producer.begin_transaction()

    def flush(self, timeout_s: float) -> list[tuple[int, RecordRefused]]:
        """As the Producer's, except that a record the broker refused fails the whole transaction: raises
        RefusedInTransaction naming those records (one the client refused at send() never reached it)."""
        sent, self._sent = self._sent, []
        doomed, self._doomed = self._doomed, False
        unacknowledged: BrokerUnavailable | None = None
        try:
            self._wait_for_acknowledgements(timeout_s)
        except BrokerUnavailable as why:  # a refusal can cut the wait short: name it first
            unacknowledged = why
        refused, failed = _settle(sent)
        before_sending = {tag for tag, _, future in sent if isinstance(future, Exception)}
        by_broker = [(tag, why) for tag, why in refused if tag not in before_sending]
        if by_broker:
            self._refused = True
            raise RefusedInTransaction(by_broker)
        if unacknowledged is not None:
            raise unacknowledged
        if failed is not None:
            self._raise_failed(*failed)
        if doomed:
            raise BrokerUnavailable("Kafka refused a record of the transaction without naming it")
        return refused

    def _not_taken(self, topic: str, why: KafkaError) -> None:
        # Once the broker refused one record, every later send of the transaction fails: flush() names it.
        if any(isinstance(cause, _RECORD_REFUSALS) for cause in why.args):
            self._doomed = self._refused = True
            return
        super()._not_taken(topic, why)

    def commit(self, positions: Positions, consumer: Consumer, timeout_s: float) -> None:
        if not isinstance(consumer, KafkaPythonConsumer):
            raise TypeError(f"a kafka-python transaction needs a kafka-python consumer, not {type(consumer)}")
        offsets = {TopicPartition(*p): OffsetAndMetadata(offset, "", -1) for p, offset in positions.items()}
        try:
            with _fenced({**consumer._configs, **self._configs}):
                if offsets:
                    self._producer.send_offsets_to_transaction(offsets, consumer._consumer.group_metadata())
                self._producer.commit_transaction()
        except _GROUP_MOVED_ON as why:
            raise GroupMovedOn(f"{type(why).__name__}: {why}") from why
        except KafkaError as why:
            raise BrokerUnavailable(f"Kafka did not commit the transaction: {type(why).__name__}: {why}") from why

    def abort(self, timeout_s: float) -> None:
        if self._refused:
            # kafka-python 3.0 cannot go on after the broker refused a record of a transaction (its next
            # sends to that partition fail out of sequence, then its state machine sticks): start afresh.
            self._renew()
            return
        try:
            with _fenced(self._configs):
                self._producer.abort_transaction()
        except KafkaTimeoutError as why:
            raise BrokerUnavailable(f"Kafka did not abort the transaction: {why}") from why
        except KafkaError as why:  # its transaction state is broken: a new producer aborts the transaction
            log.warning("Could not abort the transaction (%s): starting a new producer with the same id.", why)
            self._renew()

    def _renew(self) -> None:
        """A new KafkaProducer with the same transactional.id: its start aborts the open transaction."""
        self._producer.close(timeout=0)
        self._sent, self._doomed, self._refused = [], False, False
        self._producer = _transactional_producer(self._configs)


def _settle(sent: list[tuple[int, str, Any]]) -> tuple[list[tuple[int, RecordRefused]], tuple[str, Exception] | None]:
    """After a flush: the (tag, why) of the records refused for what they are, and the (topic, error) of the
    first that failed otherwise."""
    refused: list[tuple[int, RecordRefused]] = []
    failed: tuple[str, Exception] | None = None
    for tag, topic, future in sent:
        error = future if isinstance(future, Exception) else future.exception if future.failed() else None
        if error is None:
            continue
        if isinstance(error, (*_RECORD_REFUSALS, ValueError, TypeError)):
            kind = f"{type(error).__module__}.{type(error).__qualname__}"
            refused.append((tag, RecordRefused(str(error), error_class=kind, producer_class=_PRODUCER_CLASS)))
        elif failed is None:
            failed = (topic, error)
    return refused, failed


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
