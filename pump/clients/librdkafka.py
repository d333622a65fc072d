"""The seam (pump/clients) on librdkafka through confluent-kafka (router.kafka.client=librdkafka): its types
and error codes translated at the boundary, its rebalance callbacks calling the pump's listener, delivery
reports checked at each flush, its transactions (router.delivery=exactly-once), and its refusals named by
pump/librdkafka_trouble.py.

Settings arrive as librdkafka properties (python_router.kafka_config maps Kafka's names to them), merged with
the pump's librdkafka defaults (pump/config.py); `max.poll.records` is not one: it is taken out here and
bounds each consume() call.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

from confluent_kafka import Consumer as RdConsumer
from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition
from confluent_kafka import Producer as RdProducer
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import ConfigResource
from confluent_kafka.cimpl import NewTopic

from transforms.record import Record, make_record

from ..broker_trouble import Diagnosis
from ..errors import (
    FENCED_ADVICE,
    BrokerUnavailable,
    Fenced,
    GroupMovedOn,
    RecordRefused,
    RewindFailed,
    TransactionFailed,
    Undelivered,
    producer_fenced,
)
from ..librdkafka_trouble import LibrdkafkaTrouble
from . import Batch, Consumer, Partition, Positions, RebalanceListener, TopicSpec

log = logging.getLogger("pump")

MAX_POLL_RECORDS: Final = "max.poll.records"
_DEFAULT_BATCH = 500  # Kafka's max.poll.records default, should the pump's defaults not say
_PRODUCER_CLASS = "confluent_kafka.Producer"
# librdkafka's codes for a record the broker (or librdkafka itself) refuses for what it is: sending it again
# cannot help, so it fails like a stage.
_RECORD_REFUSALS: Final = frozenset(
    {
        KafkaError.MSG_SIZE_TOO_LARGE,
        KafkaError.INVALID_MSG_SIZE,
        KafkaError.INVALID_RECORD,
        KafkaError.INVALID_MSG,
        KafkaError._BAD_MSG,
        KafkaError.TOPIC_EXCEPTION,
        KafkaError.RECORD_LIST_TOO_LARGE,
        KafkaError._INVALID_ARG,
    }
)
# The group moved on (a rebalance): the partitions' new owner processes the records again.
_GROUP_MOVED_ON: Final = frozenset(
    {
        KafkaError.REBALANCE_IN_PROGRESS,
        KafkaError.ILLEGAL_GENERATION,
        KafkaError.UNKNOWN_MEMBER_ID,
        KafkaError.FENCED_INSTANCE_ID,
        KafkaError._STATE,
        KafkaError._ASSIGNMENT_LOST,
    }
)
_METADATA_TIMEOUT_S = 10.0  # as kafka-python's bootstrap_timeout_ms in the pump's defaults
_METADATA_SLICE_S = 1.0
_FULL_QUEUE_WAIT_S = 10.0  # how long send() waits for room in a full librdkafka queue
_SEEK_ATTEMPTS = 3
# librdkafka's codes for "a newer producer with this transactional.id took over" (_FENCED is its own, for both).
_PRODUCER_FENCED: Final = frozenset({KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH})
# How long init_transactions() may take: it waits for the coordinator, and for the previous instance's open
# transaction to be aborted (or its commit to finish). Startup retries after it, as for any broker absence.
_INIT_TRANSACTIONS_S = 10.0
_STUCK_CALL_GRACE_S = 1.0  # past its own timeout, a librdkafka call that has not returned is given up on
# A producer that has held records this long without delivering or failing them is replaced and they are
# sent again: seen once after a broker restart under load, librdkafka 2.16 delivered nothing for minutes (its
# own message.timeout.ms is 300 s). Well above a broker restart, and above the 60 s in which the tests watch
# a deleted topic (librdkafka's known gap there is a strict expected failure).
_STUCK_PRODUCER_S = 90.0
# consume() serves the commit's answer but returns only at its timeout or with a full batch: waiting for the
# answer in slices this short adds at most this much to a batch (50 ms slices made p99 52 ms at 1,000/s).
_COMMIT_SLICE_S = 0.001


class Librdkafka:
    """The seam's clients on librdkafka. trouble() first: the clients built after it report to it."""

    def __init__(self) -> None:
        self._trouble: LibrdkafkaTrouble | None = None

    def trouble(self, brokers: str, configs: Mapping[str, Any]) -> LibrdkafkaTrouble:
        self._trouble = LibrdkafkaTrouble(brokers, configs)
        return self._trouble

    def consumer(self, configs: Mapping[str, Any]) -> LibrdkafkaConsumer:
        settings = dict(configs)
        batch = int(settings.pop(MAX_POLL_RECORDS, _DEFAULT_BATCH))
        with self._building("consumer"):
            return LibrdkafkaConsumer.build(self._watched(settings), batch)

    def producer(self, configs: Mapping[str, Any]) -> LibrdkafkaProducer:
        build, missing = self._producer_factory(configs)
        return LibrdkafkaProducer(build(), build, missing)

    def transactional_producer(self, configs: Mapping[str, Any]) -> LibrdkafkaTransactionalProducer:
        build, missing = self._producer_factory(configs)
        return LibrdkafkaTransactionalProducer(build, str(configs["transactional.id"]), missing)

    def _producer_factory(self, configs: Mapping[str, Any]) -> tuple[Callable[[], RdProducer], Callable[[str], None]]:
        """What makes a librdkafka producer with `configs`, and what to tell of a topic the cluster lacks."""
        # Only failures are reported back: flush() returning with nothing left means every other record was
        # acknowledged, without a Python call per record.
        settings = self._watched({**configs, "delivery.report.only.error": True})
        trouble = self._trouble

        def build() -> RdProducer:
            with self._building("producer"):
                return RdProducer(settings)

        return build, trouble.topic_missing if trouble is not None else (lambda topic: None)

    def admin(self, configs: Mapping[str, Any]) -> LibrdkafkaAdmin:
        with self._building("admin client"):
            return LibrdkafkaAdmin(AdminClient(self._watched(dict(configs))), self._refused)

    def _refused(self) -> bool:
        found = self._trouble.diagnosis() if self._trouble is not None else None
        return found is not None and found.refused

    def _watched(self, settings: dict[str, Any]) -> dict[str, Any]:
        return settings if self._trouble is None else self._trouble.client_config(settings)

    @contextmanager
    def _building(self, what: str) -> Iterator[None]:
        """librdkafka checks its settings, and loads the TLS files, when a client is made."""
        try:
            yield
        except KafkaException as why:
            error: KafkaError = why.args[0]
            trouble = self._trouble
            found = trouble.classify_error(error.code(), error.str()) if trouble is not None else None
            if trouble is not None and isinstance(found, Diagnosis):  # TLS files: reported and retried slowly,
                trouble.observe(error.code(), error.str())  # as kafka-python's are
                raise BrokerUnavailable(found.reason) from why
            raise ValueError(
                f"librdkafka refused the {what}'s settings: {error.str()}: check the Kafka client properties "
                "(spring.cloud.stream.kafka.binder.configuration.*) against librdkafka's CONFIGURATION.md"
            ) from why


class LibrdkafkaConsumer:
    """confluent-kafka's Consumer as the seam's Consumer.

    A commit is bounded in time, as the seam asks: librdkafka's synchronous commit waits for a coordinator
    up to session.timeout.ms (45 s by default; measured) when the broker is away, so commit() sends it
    asynchronously and waits for its answer (the `on_commit` callback) by consuming, holding what it reads
    for the next poll().
    """

    def __init__(self, consumer: RdConsumer, batch: int) -> None:
        self._consumer = consumer
        self._batch = batch
        self._assigned: set[Partition] = set()
        self._closing = False
        self._held: list[Message] = []  # read while waiting for a commit's answer; the next poll's first
        self._asked: dict[tuple[str, int], int] = {}  # the commit waited for
        self._answer: KafkaError | list[TopicPartition] | None = None

    @classmethod
    def build(cls, settings: Mapping[str, Any], batch: int) -> LibrdkafkaConsumer:
        seam = cls.__new__(cls)
        cls.__init__(seam, RdConsumer({**settings, "on_commit": seam._committed}), batch)
        return seam

    def subscribe(self, topics: Sequence[str], listener: RebalanceListener) -> None:
        """librdkafka calls back from inside consume() on the loop's thread; after on_assign (and
        on_revoke) confluent-kafka applies the change itself, eager or cooperative alike."""

        def on_assign(consumer: RdConsumer, partitions: list[TopicPartition]) -> None:
            assigned = _partitions(partitions)
            self._assigned |= assigned
            listener.assigned(assigned)

        def on_revoke(consumer: RdConsumer, partitions: list[TopicPartition]) -> None:
            revoked = _partitions(partitions)
            self._assigned -= revoked
            self._drop_held(revoked)
            pending = listener.revoked(revoked)
            if pending and not self._closing:  # commit before the partitions go, as Kafka's Java client advises
                try:
                    self._commit(pending)
                except (GroupMovedOn, BrokerUnavailable) as why:
                    log.warning("Could not commit before the rebalance (%s): those records are processed again.", why)

        def on_lost(consumer: RdConsumer, partitions: list[TopicPartition]) -> None:
            lost = _partitions(partitions)
            self._assigned -= lost
            self._drop_held(lost)
            listener.lost(lost)

        self._consumer.subscribe(list(topics), on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)

    def poll(self, timeout_s: float) -> Batch:
        # consume(n, timeout) waits until it has n records or the timeout passes: take what is there at once,
        # and wait only for the first record when there is none (low latency at low rates, full batches under
        # load: librdkafka fetches ahead in the background).
        messages, self._held = self._held, []
        if len(messages) < self._batch:
            messages += self._consumer.consume(self._batch - len(messages), 0)
        if not messages:
            messages = self._consumer.consume(1, timeout_s)
            if messages and self._batch > 1:
                messages += self._consumer.consume(self._batch - 1, 0)
        batch = Batch()
        after, records = batch.next, batch.records
        partitions: dict[tuple[str | None, int | None], Partition] = {}  # one per partition, not per record
        for message in messages:
            error = message.error()
            if error is not None:
                _consumer_error(error)
                continue
            where = (message.topic(), message.partition())
            partition = partitions.get(where)
            if partition is None:
                partition = partitions[where] = Partition(*where)  # type: ignore[arg-type]
            offset: int = message.offset()  # type: ignore[assignment]
            after[partition] = offset + 1
            records.append(_to_record(message, partition, offset))
        return batch

    def seek(self, partition: Partition, offset: int) -> bool:
        if partition not in self._assigned:
            return False
        self._drop_held({partition})
        for attempt in range(_SEEK_ATTEMPTS):
            try:
                self._consumer.seek(TopicPartition(partition.topic, partition.partition, offset))
                return True
            except KafkaException as why:
                error: KafkaError = why.args[0]
                if attempt + 1 == _SEEK_ATTEMPTS:
                    break
            time.sleep(0.1)
        # Still ours but not rewound: the next poll would skip the records in hand, and a later commit would
        # pass them. Stop rather than lose them (a restart resumes at the committed offset).
        raise RewindFailed(
            f"librdkafka could not rewind {partition.topic}-{partition.partition} to offset {offset} "
            f"({error.str()}): stopping so that no record is skipped; a restart resumes at the committed offset"
        )

    def commit(self, positions: Positions, timeout_s: float) -> None:
        offsets = [TopicPartition(p.topic, p.partition, offset) for p, offset in positions.items()]
        self._asked = {(p.topic, p.partition): offset for p, offset in positions.items()}
        self._answer = None
        try:
            self._consumer.commit(offsets=offsets, asynchronous=True)
        except KafkaException as why:
            _commit_failed(why.args[0])
            return
        deadline = time.monotonic() + timeout_s
        while self._answer is None:  # on_commit is served by consume(), which may read records meanwhile
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrokerUnavailable(f"Kafka did not answer the offset commit within {timeout_s:.0f}s")
            room = max(self._batch - len(self._held), 1)
            self._held += self._consumer.consume(room, min(left, _COMMIT_SLICE_S))
        answer, self._answer = self._answer, None
        for result in answer if isinstance(answer, list) else ():
            if result.error is not None:
                _commit_failed(result.error)
        if isinstance(answer, KafkaError):
            _commit_failed(answer)

    def group_metadata(self) -> object:
        """The group's generation and this member's id, for a transaction's offsets (librdkafka's opaque
        object): the broker refuses them once the group has moved on from this member."""
        return self._consumer.consumer_group_metadata()

    def _committed(self, error: KafkaError | None, partitions: list[TopicPartition]) -> None:
        """on_commit: the answer to the commit waited for (an earlier one, given up on, is not it)."""
        if {(tp.topic, tp.partition): tp.offset for tp in partitions} != self._asked:
            return
        self._answer = error if error is not None else partitions

    def _drop_held(self, partitions: set[Partition]) -> None:
        """Records held for the next poll, of partitions sought back or no longer this member's, go."""
        if self._held:
            self._held = [m for m in self._held if Partition(m.topic(), m.partition()) not in partitions]  # type: ignore[arg-type]

    def _commit(self, positions: Positions) -> None:
        """A synchronous commit, inside a rebalance callback (consume() cannot be called there)."""
        offsets = [TopicPartition(p.topic, p.partition, offset) for p, offset in positions.items()]
        try:
            results = self._consumer.commit(offsets=offsets, asynchronous=False) or []
        except KafkaException as why:
            _commit_failed(why.args[0])
            return
        for result in results:
            if result.error is not None:
                _commit_failed(result.error)

    def highwater(self, partition: Partition) -> int | None:
        if partition not in self._assigned:
            return None
        try:
            marks = self._consumer.get_watermark_offsets(
                TopicPartition(partition.topic, partition.partition), cached=True
            )
        except KafkaException:
            return None
        return marks[1] if marks is not None and marks[1] >= 0 else None

    def probe(self, partitions: Sequence[Partition], timeout_s: float) -> None:
        for partition in partitions[:1] or [Partition("", 0)]:
            try:
                if partition.topic:
                    tp = TopicPartition(partition.topic, partition.partition)
                    answer = self._consumer.get_watermark_offsets(tp, timeout=timeout_s)
                else:
                    answer = self._consumer.list_topics(timeout=timeout_s)
            except KafkaException as why:
                raise BrokerUnavailable(why.args[0].str()) from why
            if answer is None:
                raise BrokerUnavailable(f"no answer within {timeout_s:.0f}s")

    def close(self, timeout_s: float) -> None:
        # Leaves the group; enable.auto.commit is false, and the revocation it triggers commits nothing. With
        # the broker away librdkafka's close() waits for a coordinator up to session.timeout.ms (measured: 42 s
        # with the default 45 s), so it runs aside and is given up on after `timeout_s`: the broker evicts a
        # silent member after session.timeout.ms anyway.
        self._closing = True
        self._held = []
        if not _aside(self._consumer.close, "librdkafka-close", timeout_s):
            log.warning(
                "Leaving the consumer group did not finish within %.0fs (is Kafka away?): the broker lets this "
                "member go after session.timeout.ms.",
                timeout_s,
            )


def _consumer_error(error: KafkaError) -> None:
    """An error consume() hands over as a message: fatal ones end the pump, the rest are logged."""
    if error.code() == KafkaError._PARTITION_EOF:
        return
    _raise_if_fenced(error)
    if error.fatal():
        raise BrokerUnavailable(f"librdkafka's consumer failed: {error.str()}")
    log.warning("Kafka consumer: %s", error.str())


def _raise_if_fenced(error: KafkaError) -> None:
    """A newer member took this one's group.instance.id: librdkafka's consumer is done for (a fatal error)."""
    if error.code() == KafkaError.FENCED_INSTANCE_ID or "same group.instance.id" in error.str():
        raise Fenced(f"Fenced: librdkafka's consumer, its group.instance.id ({error.str()}): {FENCED_ADVICE}.")


def _commit_failed(error: KafkaError) -> None:
    if error.code() == KafkaError._NO_OFFSET:  # nothing new to commit
        return
    _raise_if_fenced(error)
    if error.code() in _GROUP_MOVED_ON:
        raise GroupMovedOn(f"{error.name()}: {error.str()}")
    raise BrokerUnavailable(f"Kafka did not accept the offset commit: {error.str()}")


def _partitions(tps: list[TopicPartition]) -> set[Partition]:
    return {Partition(tp.topic, tp.partition) for tp in tps}


def _to_record(message: Message, partition: Partition, offset: int) -> Record:
    kind, timestamp = message.timestamp()
    return make_record(
        partition.topic,
        message.value(),
        message.key(),
        tuple(message.headers() or ()),  # type: ignore[arg-type]  # a list of (str, bytes) pairs, as consumed
        partition.partition,
        offset,
        timestamp if kind != 0 and timestamp >= 0 else None,  # 0: TIMESTAMP_NOT_AVAILABLE
    )


class LibrdkafkaProducer:
    """confluent-kafka's Producer as the seam's Producer: librdkafka reports back only the records it could not
    deliver; a flush that leaves nothing in its queue means the rest were acknowledged.

    Every record shares one delivery callback (one built per record cost about a third of a microsecond, a
    tenth of the pump's work per record): a failure report names its record by what it is (topic, key, value,
    headers), and flush() finds which of the records sent since the last complete flush it is, the first not
    yet matched. Records alike in all four are alike to the broker: the one it names fails, for the same reason.

    `rebuild` makes a new librdkafka producer, for when this one is left unable to send (a fatal error of the
    idempotent producer): what it had not settled is then reported Undelivered, to be sent again.
    """

    def __init__(
        self,
        producer: RdProducer,
        rebuild: Callable[[], RdProducer] | None = None,
        missing: Callable[[str], None] = lambda topic: None,
    ) -> None:
        self._producer = producer
        self._rebuild = rebuild
        self._missing = missing  # told of a topic the cluster does not have (deleted while in use)
        # Since the last flush that left nothing: each record sent, in order, as (tag, topic, key, value, headers)
        self._sent: list[tuple[int, str, bytes | None, bytes | None, list[tuple[str, bytes]]]] = []
        self._refused_at_once: list[tuple[int, KafkaError]] = []  # (its place in _sent, why)
        self._reports: list[tuple[KafkaError, Message | None]] = []  # failures librdkafka reported
        self._on_delivery = self._report  # one bound method for every record
        self._waiting_since = 0.0  # monotonic time of the first flush that left records, since one left none

    def send(
        self,
        tag: int,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        timestamp_ms: int | None,
    ) -> None:
        sent = self._sent
        sent.append((tag, topic, key, value, headers))
        try:
            refused = self._produce(topic, key, value, headers, timestamp_ms, self._on_delivery)
        except BrokerUnavailable:
            sent.pop()
            raise
        if refused is not None:  # reported by the next flush
            self._refused_at_once.append((len(sent) - 1, refused))

    def _produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        timestamp_ms: int | None,
        on_delivery: Callable[[KafkaError | None, Message], None],
    ) -> KafkaError | None:
        """Hand the record to librdkafka, waiting (within bounds) while its queue is full; the error when it
        refused the record at once (too large, ...)."""
        deadline = 0.0
        while True:
            try:
                self._producer.produce(
                    topic,
                    value,
                    key,
                    on_delivery=on_delivery,
                    timestamp=timestamp_ms or 0,
                    headers=headers,  # type: ignore[arg-type]
                )
                return None
            except BufferError:  # librdkafka's queue is full: let it deliver some, within bounds
                deadline = deadline or time.monotonic() + _FULL_QUEUE_WAIT_S
                if time.monotonic() > deadline:
                    raise BrokerUnavailable(
                        f"librdkafka's send queue stayed full for {_FULL_QUEUE_WAIT_S:.0f}s: Kafka is not taking "
                        "records"
                    ) from None
                self._producer.poll(0.05)
            except KafkaException as why:
                error: KafkaError = why.args[0]
                return error

    def _report(self, error: KafkaError | None, message: Message | None) -> None:
        if error is not None:
            self._reports.append((error, message))

    def flush(self, timeout_s: float) -> list[tuple[int, RecordRefused]]:
        left = self._producer.flush(timeout_s)
        fatal = any(error.fatal() for error, _ in self._reports) or any(e.fatal() for _, e in self._refused_at_once)
        stuck = False
        if left and not fatal:
            now = time.monotonic()
            self._waiting_since = self._waiting_since or now
            stuck = self._rebuild is not None and now - self._waiting_since > _STUCK_PRODUCER_S
            if not stuck:
                # Still pending: librdkafka keeps sending them, and the next flush waits for them (and reports
                # the failures seen so far then).
                raise BrokerUnavailable(f"Kafka did not acknowledge {left} record(s) within {timeout_s:.0f}s")
            log.warning(
                "librdkafka's producer has not delivered %d record(s) for %.0fs: replacing it, and sending them "
                "again (some may have been written: at-least-once).",
                left,
                now - self._waiting_since,
            )
        self._waiting_since = 0.0
        sent, failed = self._sent, self._failures()
        self._sent, self._refused_at_once, self._reports = [], [], []
        refused: list[tuple[int, RecordRefused]] = []
        lost: list[int] = []  # places in `sent`
        why = ""
        for place, error in failed:
            tag, topic = sent[place][0], sent[place][1]
            if error.code() in _RECORD_REFUSALS:
                refused.append((tag, _refusal(error)))
                continue
            if error.code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC):
                self._missing(topic)
            lost.append(place)
            why = why or f"{error.name()}: {error.str()}"
        if (fatal or stuck) and self._rebuild is not None:
            # This producer cannot send any more: a new one sends everything it had not settled again.
            why = why or ("librdkafka's producer failed" if fatal else "librdkafka's producer was stuck")
            reported = {tag for tag, _ in refused}
            lost = [place for place, send in enumerate(sent) if send[0] not in reported]
            self._producer.purge()
            self._producer = self._rebuild()
        if lost:
            tags = [sent[place][0] for place in lost]
            raise Undelivered(f"Kafka did not take {len(tags)} record(s) ({why})", tags, refused)
        return refused

    def _failures(self) -> list[tuple[int, KafkaError]]:
        """Each failure, with the place in _sent of the record it names, in the order sent. A report that names
        no record sent (it cannot happen, unless librdkafka changed a record) fails every record not failed
        otherwise, so that they are sent again: a duplicate, never a loss."""
        failed = dict(self._refused_at_once)
        if self._reports:
            places: dict[tuple[Any, ...], list[int]] = {}
            for place, (_, topic, key, value, headers) in enumerate(self._sent):
                if place not in failed:
                    places.setdefault((topic, key, value, tuple(headers)), []).append(place)
            for error, message in self._reports:
                alike = places.get(_what(message), []) if message is not None else []
                if alike:
                    failed[alike.pop(0)] = error
                else:
                    log.error("librdkafka reported a failure (%s) for a record it was not sent: sending the "
                              "batch again", error.str())  # fmt: skip
                    failed.update({p: error for p in range(len(self._sent)) if p not in failed})
        return sorted(failed.items())

    def close(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        if self._producer.flush(timeout_s):
            # Not acknowledged in time: nothing of theirs is committed, so they are redone after a restart.
            self._producer.purge()
        # close() flushes again and waits for librdkafka's threads, unbounded (0.7 s and more during an outage,
        # measured): it runs aside and is given up on at the deadline, as the consumer's close.
        _aside(self._producer.close, "librdkafka-producer-close", max(deadline - time.monotonic(), 0.1))


def _aside(call: Callable[[], object], name: str, timeout_s: float) -> bool:
    """Run `call` in a daemon thread and wait up to `timeout_s` for it; False when it is still running (it is
    left to itself: librdkafka's close() calls wait for the broker, unbounded)."""
    running = threading.Thread(target=call, name=name, daemon=True)
    running.start()
    running.join(timeout_s)
    return not running.is_alive()


def _what(message: Message) -> tuple[Any, ...]:
    """A delivery report's record, as LibrdkafkaProducer keeps what it sent."""
    given: list[tuple[str, bytes | None]] = message.headers() or []  # type: ignore[assignment]
    headers = tuple((name, b"" if value is None else value) for name, value in given)
    return message.topic(), message.key(), message.value(), headers  # an empty header value may come back None


class LibrdkafkaTransactionalProducer(LibrdkafkaProducer):
    """The seam's TransactionalProducer on librdkafka. librdkafka's errors carry what to do, and the seam
    translates them by that: a fenced producer (a newer one has the transactional.id) is Fenced; an error that
    requires an abort (`txn_requires_abort()`) is TransactionFailed; a retriable one (`retriable()`: a timeout,
    the broker away) is BrokerUnavailable; a fatal one leaves this librdkafka producer unable to go on, so the
    next abort() starts afresh with a new one (its init_transactions aborts the open transaction).

    As in the Producer, a record produce() refuses at once is reported refused by flush() and does not fail
    the transaction; a record the broker refused or librdkafka gave up on fails the whole transaction
    (TransactionFailed, naming the refused ones). Unlike the Producer, each record gets a delivery callback
    of its own that names it by its send number: a report that arrives late, from a transaction already
    aborted, must not be taken for a record of the next one that looks the same.

    librdkafka's transaction calls take a timeout, and one that timed out can be called again to resume it.
    A commit is waited for until its outcome is known: once asked, the coordinator may have it and can no
    longer abort it, so giving up would leave the batch committed and yet read again. An abort that timed
    out is resumed before the next transaction begins.
    """

    def __init__(
        self, build: Callable[[], RdProducer], transactional_id: str, missing: Callable[[str], None] = lambda t: None
    ) -> None:
        self._build = build
        self._transactional_id = transactional_id
        super().__init__(self._initialised(), None, missing)
        self._broken = False  # this librdkafka producer cannot go on: a new one before the next transaction
        self._aborting = False  # an abort timed out: resumed before the next transaction begins
        self._abandoned = False  # a call of the librdkafka producer never returned: it is left to itself
        self._abort_timeout_s = _INIT_TRANSACTIONS_S
        self._sends = 0
        self._failed: list[tuple[int, int, str, KafkaError]] = []  # (send number, tag, topic, why)
        self._refused_numbers: set[int] = set()  # send numbers produce() itself refused (never sent)
        self._first_of_transaction = 1  # send number: reports of earlier ones belong to ended transactions

    def _initialised(self) -> RdProducer:
        """A new librdkafka producer, its transactions initialised: this fences any older producer with the
        same transactional.id and aborts its open transaction (or waits for its commit to finish)."""
        producer = self._build()
        try:
            self._call("initialise transactions", lambda: producer.init_transactions(_INIT_TRANSACTIONS_S))
        except BaseException:
            _discard(producer)
            raise
        return producer

    def send(
        self,
        tag: int,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        timestamp_ms: int | None,
    ) -> None:
        self._sends += 1
        number = self._sends
        report = functools.partial(self._numbered_report, number, tag, topic)
        refused = self._produce(topic, key, value, headers, timestamp_ms, report)
        if refused is not None:
            self._failed.append((number, tag, topic, refused))
            self._refused_numbers.add(number)

    def _numbered_report(self, number: int, tag: int, topic: str, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._failed.append((number, tag, topic, error))

    def begin(self) -> None:
        if self._aborting or self._broken:
            self._finish_abort()
        self._call("begin a transaction", self._producer.begin_transaction)
        self._first_of_transaction = self._sends + 1

    def flush(self, timeout_s: float) -> list[tuple[int, RecordRefused]]:
        try:
            left = self._producer.flush(timeout_s)
        except (KafkaException, SystemError) as why:
            error = _kafka_error_in(why)
            if error is None:
                raise
            raise self._translated("deliver the transaction's records", error) from why
        failed = sorted(f for f in self._failed if f[0] >= self._first_of_transaction)
        fenced = next((error for *_, error in failed if _producer_fenced(error)), None)
        if fenced is not None:
            raise self._fenced(fenced)
        fatal = any(error.fatal() for *_, error in failed)
        if left and not fatal:  # still pending: librdkafka keeps sending them, the next flush waits again
            raise BrokerUnavailable(f"Kafka did not acknowledge {left} record(s) within {timeout_s:.0f}s")
        at_once = self._refused_numbers
        self._failed, self._refused_numbers = [], set()
        self._broken = self._broken or fatal
        refused: list[tuple[int, RecordRefused]] = []  # by produce() itself: failed, the transaction goes on
        by_broker: list[tuple[int, RecordRefused]] = []
        lost: list[KafkaError] = []
        for number, tag, topic, error in failed:
            if error.code() in _RECORD_REFUSALS:
                (refused if number in at_once else by_broker).append((tag, _refusal(error)))
                continue
            if error.code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC):
                self._missing(topic)
            lost.append(error)
        if lost:
            said = f"Kafka did not take {len(lost)} record(s) of the transaction ({lost[0].name()}: {lost[0].str()})"
            raise TransactionFailed(f"{said}: the transaction is aborted and the batch done again", by_broker)
        if by_broker:
            raise TransactionFailed(
                f"Kafka refused {len(by_broker)} record(s) of the transaction ({by_broker[0][1]}): the transaction "
                "is aborted and the batch done again, those records failed",
                by_broker,
            )
        return refused

    def commit(self, positions: Positions, consumer: Consumer, timeout_s: float) -> None:
        if not isinstance(consumer, LibrdkafkaConsumer):
            raise TypeError(f"a librdkafka transaction needs a librdkafka consumer, not {type(consumer)}")
        if positions:
            offsets = [TopicPartition(p.topic, p.partition, offset) for p, offset in positions.items()]
            try:
                self._add_offsets(offsets, consumer.group_metadata(), timeout_s)
            except KafkaException as why:
                error: KafkaError = why.args[0]
                _raise_if_fenced(error)  # the consumer's group.instance.id
                if error.code() in _GROUP_MOVED_ON and error.code() != KafkaError._STATE:
                    raise GroupMovedOn(f"{error.name()}: {error.str()}") from why
                raise self._translated("add the offsets to the transaction", error) from why
        said = False
        while True:
            try:
                self._producer.commit_transaction(timeout_s)
                return
            except KafkaException as why:
                error = why.args[0]
                if error.txn_requires_abort() or error.fatal() or not error.retriable():
                    raise self._translated("commit the transaction", error) from why
                reason = f"{error.name()}: {error.str()}"
            if not said:
                said = True
                log.warning(
                    "Kafka has not committed the transaction within %.0fs (%s): waiting for its outcome, since a "
                    "commit once asked cannot be aborted.",
                    timeout_s,
                    reason,
                )

    def _add_offsets(self, offsets: list[TopicPartition], group: object, timeout_s: float) -> None:
        """send_offsets_to_transaction, bounded in time. librdkafka 2.16's call can outlive its timeout for
        good once the broker restarted (librdkafka issues #5456 and #5511, measured here: still blocked 3 min
        after the broker was back), so it runs aside; when it does not return in time, this producer is given
        up (a new one with the transactional.id fences it and aborts its transaction) and the batch is done
        again."""
        raised: list[BaseException] = []

        def add() -> None:
            try:
                self._producer.send_offsets_to_transaction(offsets, group, timeout_s)
            except BaseException as why:
                raised.append(why)

        adding = threading.Thread(target=add, name="librdkafka-send-offsets", daemon=True)
        adding.start()
        adding.join(timeout_s + _STUCK_CALL_GRACE_S)
        if adding.is_alive():
            self._broken = True
            self._abandoned = True
            said = (
                f"Kafka did not add the offsets to the transaction within {timeout_s:.0f}s, and librdkafka's call "
                "does not give up: a new producer with the same transactional.id takes over"
            )
            log.warning("%s.", said)  # said once per producer given up, even within an outage already told
            raise BrokerUnavailable(said)
        if raised:
            raise raised[0]

    def abort(self, timeout_s: float) -> None:
        self._abort_timeout_s = timeout_s
        self._aborting = True
        self._finish_abort()

    def _finish_abort(self) -> None:
        """Abort the open transaction (or resume an abort that timed out); when this producer cannot, start
        afresh with a new one. Raises BrokerUnavailable when the broker does not answer: tried again before
        the next transaction begins."""
        if not self._broken:
            try:
                self._call("abort the transaction", lambda: self._producer.abort_transaction(self._abort_timeout_s))
            except TransactionFailed as why:
                log.warning("Could not abort the transaction (%s): starting a new producer with the same id.", why)
                self._broken = True
        self._aborting = False
        if not self._abandoned:
            self._producer.poll(0)  # the purged records' reports, dropped with the transaction
        self._failed, self._refused_numbers = [], set()
        if self._broken:
            if not self._abandoned:  # a call still blocked in it: left alone, fenced by the replacement
                self._producer.purge()
            replacement = self._initialised()  # raises BrokerUnavailable while the broker is away
            if not self._abandoned:
                _discard(self._producer)
            self._producer, self._broken, self._abandoned = replacement, False, False

    def _call(self, what: str, call: Callable[[], object]) -> None:
        try:
            call()
        except KafkaException as why:
            raise self._translated(what, why.args[0]) from why

    def _translated(self, what: str, error: KafkaError) -> Exception:
        """librdkafka's error from a transaction call, as the seam's."""
        said = f"{error.name()}: {error.str()}"
        if _producer_fenced(error):
            return self._fenced(error)
        if error.retriable() and not error.fatal() and not error.txn_requires_abort():
            return BrokerUnavailable(f"Kafka did not {what} in time ({said})")
        if not error.txn_requires_abort():  # fatal, or a state this producer cannot leave: a new one
            self._broken = True
        return TransactionFailed(
            f"Kafka could not {what} ({said}): the transaction is aborted, the batch done again", []
        )

    def close(self, timeout_s: float) -> None:
        if self._broken:  # close() would try to abort the transaction, which this producer no longer can
            if not self._abandoned:
                _discard(self._producer)
            return
        super().close(timeout_s)

    def _fenced(self, error: KafkaError) -> Fenced:
        self._broken = True
        return producer_fenced(self._transactional_id, f"{error.name()}: {error.str()}")


def _producer_fenced(error: KafkaError) -> bool:
    # After a fatal error librdkafka may answer with _FATAL, its words naming the cause.
    return error.code() in _PRODUCER_FENCED or (error.code() == KafkaError._FATAL and "fenced" in error.str().lower())


def _kafka_error_in(raised: BaseException) -> KafkaError | None:
    """The KafkaError a confluent-kafka call raised, or that caused what it raised: after a fatal error,
    confluent-kafka 2.16's flush() calls the next delivery report with the KafkaException pending, which
    Python turns into a SystemError whose cause it is (measured: a fenced producer's flush)."""
    for error in (raised, raised.__cause__, raised.__context__):
        if isinstance(error, KafkaException) and isinstance(error.args[0], KafkaError):
            return error.args[0]
    return None


def _discard(producer: RdProducer) -> None:
    """Drop what a producer holds and let it go, without waiting for the broker."""
    producer.purge()
    producer.poll(0)


def _refusal(error: KafkaError) -> RecordRefused:
    return RecordRefused(
        f"{error.name()}: {error.str()}",
        error_class=f"confluent_kafka.KafkaError.{error.name()}",
        producer_class=_PRODUCER_CLASS,
    )


class LibrdkafkaAdmin:
    """confluent-kafka's AdminClient as the seam's Admin. It is the pump's first client: the one that finds
    the broker away, or refusing us."""

    def __init__(self, admin: AdminClient, refused: Callable[[], bool] = lambda: False) -> None:
        self._admin = admin
        self._refused = refused

    def topic_names(self) -> set[str]:
        # librdkafka retries a refused connection every few hundred milliseconds (29 SCRAM logins in 10 s,
        # measured): ask in short slices, and give up as soon as the trouble watcher knows Kafka refused us,
        # so that the pump's slow retry of refusals (broker_trouble.REFUSED_RETRY_S) bounds the attempts.
        deadline = time.monotonic() + _METADATA_TIMEOUT_S
        while True:
            try:
                return set(self._admin.list_topics(timeout=_METADATA_SLICE_S).topics)
            except KafkaException as why:
                reason = self._away(why)
            # Raised outside the except block: chained, its traceback would keep confluent-kafka's admin
            # frame, and so the client, retrying, alive while the pump waits to retry.
            if self._refused() or time.monotonic() > deadline:
                raise BrokerUnavailable(reason)

    def create_topics(self, specs: Sequence[TopicSpec]) -> dict[str, str]:
        new = [
            NewTopic(
                s.name, num_partitions=s.partitions, replication_factor=s.replication_factor, config=dict(s.configs)
            )
            for s in specs
        ]
        away: str | None = None  # raised outside the except blocks (see topic_names)
        try:
            futures = self._admin.create_topics(new, request_timeout=_METADATA_TIMEOUT_S)
        except KafkaException as why:
            away = self._away(why)
        if away is not None:
            raise BrokerUnavailable(away)
        refused: dict[str, str] = {}
        for name, future in futures.items():
            try:
                future.result()
            except KafkaException as why:
                error: KafkaError = why.args[0]
                if error.code() in (KafkaError._TRANSPORT, KafkaError._TIMED_OUT, KafkaError._ALL_BROKERS_DOWN):
                    away = self._away(why)
                elif error.code() != KafkaError.TOPIC_ALREADY_EXISTS:  # exists: another replica created it first
                    refused[name] = error.str()
            if away is not None:
                raise BrokerUnavailable(away)
        if not refused:
            self._wait_for(specs)
        return refused

    def max_message_bytes(self, topics: Sequence[str]) -> dict[str, int]:
        resources = [ConfigResource(ConfigResource.Type.TOPIC, topic) for topic in topics]
        limits: dict[str, int] = {}
        away: str | None = None  # raised outside the except block (see topic_names)
        try:
            futures = self._admin.describe_configs(resources, request_timeout=_METADATA_TIMEOUT_S)
            for resource, future in futures.items():
                entry = future.result().get("max.message.bytes")
                if entry is not None and entry.value is not None:
                    limits[resource.name] = int(entry.value)
        except KafkaException as why:
            away = self._away(why)
        if away is not None:
            raise BrokerUnavailable(away)
        return limits

    def _wait_for(self, specs: Sequence[TopicSpec]) -> None:
        """Until every topic has a leader for each partition (the broker creates topics asynchronously)."""
        deadline = time.monotonic() + _METADATA_TIMEOUT_S
        names = {s.name for s in specs}
        while time.monotonic() < deadline:
            away: str | None = None
            try:
                topics = self._admin.list_topics(timeout=_METADATA_TIMEOUT_S).topics
            except KafkaException as why:
                away = self._away(why)
            if away is not None:
                raise BrokerUnavailable(away)
            ready = {
                name
                for name in names
                if name in topics
                and topics[name].error is None
                and topics[name].partitions
                and all(p.leader >= 0 for p in topics[name].partitions.values())
            }
            if ready == names:
                return
            time.sleep(0.1)
        raise BrokerUnavailable(f"the topics {', '.join(sorted(names))} were created but have no leader yet")

    def _away(self, why: KafkaException) -> str:
        self._admin.poll(0)  # serve the error and log events that say why (pump/librdkafka_trouble.py)
        return f"{why.args[0].name()}: {why.args[0].str()}"

    def close(self) -> None:
        # confluent-kafka's AdminClient has no close(): librdkafka destroys the client, and stops its
        # reconnecting, when the last reference goes (an exception's traceback may keep this wrapper alive).
        self._admin.poll(0)
        self._admin = None  # type: ignore[assignment]
