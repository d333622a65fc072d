"""The seam (pump/clients) on kafka-python, the default client: its types and errors translated at the
boundary, its rebalance listener calling the pump's, and the TOMBSTONE marker it needs for keyless nulls."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Final, NoReturn

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource
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
from kafka.partitioner.default import murmur2
from kafka.partitioner.sticky import StickyPartitioner
from kafka.serializer import Serializer
from kafka.structs import OffsetAndMetadata, TopicPartition

from transforms.record import make_record

from ..broker_trouble import BrokerTrouble
from ..errors import (
    FENCED_ADVICE,
    BrokerUnavailable,
    Fenced,
    GroupMovedOn,
    RecordRefused,
    TransactionFailed,
    Undelivered,
    producer_fenced,
)
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
_MAX_MESSAGE_BYTES = "max.message.bytes"
_KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588  # message.max.bytes, for a broker that does not say
# kafka-python's flush(timeout) waits up to `timeout` for each batch in turn, not in all: the seam's flush
# waits in slices of this, so that its own timeout bounds the whole wait.
_FLUSH_SLICE_S = 0.2


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


class Partitioner(StickyPartitioner):  # type: ignore[misc]  # kafka-python is untyped
    """kafka-python's partitioning (murmur2 of the key, as Java's clients; a sticky partition per batch for
    records without a key), with less work per record: kafka-python's builds three sets per record to check
    that the sticky partition still has a leader, and hashes each key in pure Python."""

    def __init__(self) -> None:
        super().__init__()
        self._checked: dict[str, TopicPartition] = {}  # per topic, its sticky partition (one object, reused)

    def partition(
        self, topic: str, key: Any, serialized_key: bytes | None, value: Any, serialized_value: Any, cluster: Any
    ) -> int:
        if serialized_key is None:
            sticky = self._sticky.get(topic)  # written under kafka-python's lock; reading a dict is atomic
            checked = self._checked.get(topic)
            if checked is None or checked.partition != sticky:
                checked = self._checked[topic] = TopicPartition(topic, sticky)
            if sticky is not None and cluster.leader_for_partition(checked) not in (None, -1):
                return sticky  # type: ignore[no-any-return]
        else:
            partitions = cluster.partitions_for_topic(topic)
            if partitions:
                return sorted(partitions)[_key_hash(serialized_key) % len(partitions)]  # type: ignore[no-any-return]
        return super().partition(topic, key, serialized_key, value, serialized_value, cluster)  # type: ignore[no-any-return]


@lru_cache(maxsize=16384)  # an input's keys repeat (devices, users): hash each once
def _key_hash(key: bytes) -> int:
    return murmur2(key) & 0x7FFFFFFF  # type: ignore[no-any-return]


@contextmanager
def _fenced(configs: Mapping[str, Any]) -> Iterator[None]:
    """kafka-python's "a newer member took this identity" errors, as the seam's Fenced; also when it wraps one
    ("Cannot perform send because at least one previous transactional ... request has failed")."""
    try:
        yield
    except KafkaError as why:
        _raise_if_fenced(why, configs)
        raise


def _raise_if_fenced(why: KafkaError, configs: Mapping[str, Any]) -> None:
    cause = next((e for e in (why, *why.args) if isinstance(e, _FENCED)), None)
    if cause is not None:
        _raise_fenced(cause, configs)


def _raise_fenced(cause: Exception, configs: Mapping[str, Any]) -> NoReturn:
    if isinstance(cause, FencedInstanceIdError):
        identity = f"group.instance.id {configs.get('group_instance_id')} of group {configs.get('group_id')}"
        raise Fenced(f"Fenced: {identity} now belongs to another consumer ({cause}): {FENCED_ADVICE}.") from cause
    raise producer_fenced(configs.get("transactional_id"), str(cause)) from cause


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
        settings = {"partitioner": Partitioner(), **configs, "value_serializer": NullableValue()}

        def build() -> KafkaProducer:
            with _broker_away():
                return KafkaProducer(**settings)

        return KafkaPythonProducer(build(), rebuild=build, configs=configs)

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
            topic, partition = tp.topic, tp.partition
            batch.next[Partition(topic, partition)] = records[-1].offset + 1
            # Inline, once per record: kafka-python's timestamp is -1 when the record has none.
            batch.records += [
                make_record(topic, r.value, r.key, tuple(r.headers), partition, r.offset,
                            r.timestamp if r.timestamp is not None and r.timestamp >= 0 else None)
                for r in records
            ]  # fmt: skip
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


class KafkaPythonProducer:
    """kafka-python's KafkaProducer as the seam's Producer: keeps each send's future until a flush reports it.

    kafka-python's idempotent producer enters a fatal state when the broker refuses a batch as too large, and
    then fails every record, before and after, with that same error ("Aborting producer batches due to fatal
    error"). The seam replaces it with a new one and reports its undelivered records Undelivered, to be sent
    again; a record that was in flight at two such failures in a row is reported refused.
    """

    def __init__(
        self,
        producer: KafkaProducer,
        rebuild: Callable[[], KafkaProducer] | None = None,
        configs: Mapping[str, Any] | None = None,
    ) -> None:
        self._rebuild = rebuild
        self._configs = configs or {}
        self._producer = producer
        self._sent: list[tuple[int, str, Any]] = []  # (tag, topic, its future or the error that refused it)
        # Each record taken, until it is reported: its size is computed only if the producer turns fatal.
        self._records: dict[tuple[int, str], tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]] = {}
        self._at_fatal_before: set[tuple[int, str]] = set()

    def send(
        self,
        tag: int,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        timestamp_ms: int | None,
    ) -> None:
        try:  # not `with _fenced()`: a context manager per record costs about a microsecond
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
        except KafkaError as why:  # a transaction in error (pump/transactions.py aborts it), or fenced
            _raise_if_fenced(why, self._configs)
            self._not_taken(topic, why)
            return
        self._sent.append((tag, topic, future))
        if not isinstance(future, Exception):  # kafka-python took it: its headers are (str, bytes) pairs
            self._records[(tag, topic)] = (key, value, headers)

    def flush(self, timeout_s: float) -> list[tuple[int, RecordRefused]]:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self._producer.flush(timeout=max(min(_FLUSH_SLICE_S, deadline - time.monotonic()), 0.0))
                break
            except (KafkaTimeoutError, UnknownError) as why:  # UnknownError: kafka-python's "Future not done"
                if time.monotonic() >= deadline:
                    raise BrokerUnavailable(
                        f"Kafka did not acknowledge the batch within {timeout_s:g}s ({why})"
                    ) from why
        sent, self._sent = self._sent, []
        records, self._records = self._records, {}
        if self._rebuild is not None and self._fatal():
            sizes = {sent: len(key or b"") + len(value or b"") + sum(len(v) for _, v in headers)
                     for sent, (key, value, headers) in records.items()}  # fmt: skip
            return self._replace(self._rebuild, sent, sizes)
        self._at_fatal_before.clear()
        refused: list[tuple[int, RecordRefused]] = []
        undelivered: list[tuple[int, str, Exception]] = []
        for tag, topic, future in sent:
            error = future if isinstance(future, Exception) else future.exception if future.failed() else None
            if error is None:
                continue
            if isinstance(error, (*_RECORD_REFUSALS, ValueError, TypeError)):
                refused.append((tag, _refused(error)))
            else:
                undelivered.append((tag, topic, error))
        if undelivered:
            _, topic, error = undelivered[0]
            raise Undelivered(
                f"Kafka did not acknowledge {len(undelivered)} record(s), e.g. for topic {topic}: {error}",
                [tag for tag, _, _ in undelivered],
                refused,
            )
        return refused

    def _fatal(self) -> bool:
        manager = getattr(self._producer, "_transaction_manager", None)
        return bool(manager is not None and manager.has_fatal_error())

    def _replace(
        self, rebuild: Callable[[], KafkaProducer], sent: list[tuple[int, str, Any]], sizes: dict[tuple[int, str], int]
    ) -> list[tuple[int, RecordRefused]]:
        """The producer is in a fatal state: build a new one; what failed is sent again by the caller. When it
        happens again with records that failed the first time too, the largest of them is taken for its cause
        (a batch too large is what makes it fatal) and reported refused."""
        log.warning(
            "The Kafka producer is in a fatal state (%s): replacing it.", self._producer._transaction_manager.last_error
        )
        _close_now(self._producer, 0.0)
        self._producer = rebuild()
        failed = [(tag, topic, future) for tag, topic, future in sent if not _acknowledged(future)]
        refused = [(tag, _refused(future)) for tag, _, future in failed if isinstance(future, Exception)]
        again_suspects = [
            (tag, topic, future)
            for tag, topic, future in failed
            if (tag, topic) in self._at_fatal_before and not isinstance(future, Exception)
        ]
        if again_suspects:
            tag, _, future = max(again_suspects, key=lambda item: sizes.get((item[0], item[1]), 0))
            refused.append((tag, _refused(future.exception)))
            refused.sort(key=lambda item: item[0])
        self._at_fatal_before = {(tag, topic) for tag, topic, _ in failed}
        again = [tag for tag, _, _ in failed if all(tag != r for r, _ in refused)]
        if again:
            raise Undelivered(f"The Kafka producer was replaced; {len(again)} record(s) to send again", again, refused)
        return refused

    def _not_taken(self, topic: str, why: KafkaError) -> None:
        """send() failed for a reason of the producer's, not the record's: a bug here (flush() replaces a
        producer in a fatal state before the next send); the transactional producer's own case."""
        raise why

    def close(self, timeout_s: float) -> None:
        _close_now(self._producer, timeout_s)


def _transactional_producer(configs: Mapping[str, Any]) -> KafkaProducer:
    """A KafkaProducer with `configs`' transactional_id, its transactions initialised: this fences the older
    producer with the same id, and aborts its open transaction."""
    settings = {"partitioner": Partitioner(), **configs, "value_serializer": NullableValue()}
    with _broker_away():
        producer = KafkaProducer(**settings)
    try:
        with _fenced(configs), _broker_away():
            producer.init_transactions()
    except BaseException:
        _close_now(producer, 0.0)
        raise
    return producer


class KafkaPythonTransactionalProducer(KafkaPythonProducer):
    """The seam's TransactionalProducer on kafka-python. Its transaction calls wait without a timeout of their
    own (kafka-python 3.0 has none): they return when the broker answers; the shutdown watchdog bounds them.

    Unlike the Producer, it never replaces its KafkaProducer behind the caller's back, nor reports records to
    send again: in a transaction, a record the broker refused or the client gave up on fails the whole
    transaction (TransactionFailed). abort() then starts afresh with a new KafkaProducer when this one cannot
    go on (kafka-python 3.0, after a refused record: out-of-sequence sends, then a stuck state machine).
    """

    def __init__(self, producer: KafkaProducer, configs: Mapping[str, Any]) -> None:
        super().__init__(producer, rebuild=None, configs=configs)
        self._broken = False  # a record failed in this transaction: abort() starts afresh

    def begin(self) -> None:
        with _fenced(self._configs):
            self._producer.begin_transaction()

    def _not_taken(self, topic: str, why: KafkaError) -> None:
        # Once a record failed, every later send of the transaction fails: flush() says which failed first.
        self._broken = True

    def flush(self, timeout_s: float) -> list[tuple[int, RecordRefused]]:
        sent = list(self._sent)
        before_sending = {tag for tag, _, future in sent if isinstance(future, Exception)}
        try:
            refused = super().flush(timeout_s)
        except Undelivered as lost:
            self._broken = True
            fenced = next((f.exception for _, _, f in sent if _failed_with(f, _FENCED)), None)
            if fenced is not None:
                _raise_fenced(fenced, self._configs)
            by_broker = [(tag, why) for tag, why in lost.refused if tag not in before_sending]
            raise TransactionFailed(f"{lost}: the transaction is aborted and the batch done again", by_broker) from lost
        by_broker = [(tag, why) for tag, why in refused if tag not in before_sending]
        if by_broker:
            self._broken = True
            raise TransactionFailed(
                f"Kafka refused {len(by_broker)} record(s) of the transaction ({by_broker[0][1]}): the transaction "
                "is aborted and the batch done again, those records failed",
                by_broker,
            )
        if self._broken:
            raise TransactionFailed("A record of the transaction failed: it is aborted and the batch done again", [])
        return refused

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
            self._broken = True
            raise BrokerUnavailable(f"Kafka did not commit the transaction: {type(why).__name__}: {why}") from why

    def abort(self, timeout_s: float) -> None:
        if not self._broken:
            try:
                with _fenced(self._configs):
                    self._producer.abort_transaction()
                return
            except KafkaTimeoutError as why:
                raise BrokerUnavailable(f"Kafka did not abort the transaction: {why}") from why
            except KafkaError as why:
                log.warning("Could not abort the transaction (%s): starting a new producer with the same id.", why)
        # A new KafkaProducer with the same transactional.id: its start aborts the open transaction.
        _close_now(self._producer, 0.0)
        self._sent, self._records, self._broken = [], {}, False
        self._producer = _transactional_producer(self._configs)


class KafkaPythonAdmin:
    """kafka-python's KafkaAdminClient as the seam's Admin."""

    def __init__(self, admin: KafkaAdminClient) -> None:
        self._admin = admin

    def topic_names(self) -> set[str]:
        with _broker_away():
            return set(self._admin.list_topics())

    def create_topics(self, specs: Sequence[TopicSpec]) -> dict[str, str]:
        new_topics = {
            s.name: {
                "num_partitions": s.partitions,
                "replication_factor": s.replication_factor,
                "configs": dict(s.configs),
            }
            for s in specs
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

    def max_message_bytes(self, topics: Sequence[str]) -> dict[str, int]:
        resources = [ConfigResource("TOPIC", topic, [_MAX_MESSAGE_BYTES]) for topic in dict.fromkeys(topics)]
        with _broker_away():
            described = self._admin.describe_configs(resources, config_filter="all").get("topic", {})
        limits = {}
        for topic in topics:
            value = described.get(topic, {}).get(_MAX_MESSAGE_BYTES, {}).get("value")
            limits[topic] = int(value) if value is not None else _KAFKA_DEFAULT_MAX_MESSAGE_BYTES
        return limits

    def close(self) -> None:
        self._admin.close()


def _failed_with(future: Any, errors: tuple[type[Exception], ...]) -> bool:
    return (
        not isinstance(future, Exception)
        and future.is_done
        and future.failed()
        and isinstance(future.exception, errors)
    )


def _acknowledged(future: Any) -> bool:
    return not isinstance(future, Exception) and future.is_done and not future.failed()


def _refused(error: Exception) -> RecordRefused:
    cls = type(error)
    return RecordRefused(str(error), error_class=f"{cls.__module__}.{cls.__qualname__}", producer_class=_PRODUCER_CLASS)


def _close_now(producer: KafkaProducer, timeout_s: float) -> None:
    """Close within `timeout_s`, then drop what is still pending: kafka-python's close() raises when its flush
    times out and leaves its (non-daemon) sender thread running, which would keep the process alive."""
    try:
        producer.close(timeout=timeout_s)
    except KafkaTimeoutError:
        producer._sender.force_close()
        producer._sender.join(0.5)
        producer.close(timeout=0)
