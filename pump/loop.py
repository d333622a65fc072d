"""The pump: consume a batch, classify it, produce the results, wait for the broker's acknowledgement of all
of them, then commit the batch's offsets (at-least-once). Shutdown, dead-lettering and retries are named
steps below."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

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
from kafka.structs import OffsetAndMetadata, TopicPartition
from prometheus_client import CollectorRegistry

from transforms.errors import Failure
from transforms.record import Record, make_record

from .broker_trouble import REFUSED_RETRY_S, BrokerTrouble
from .classifier import Classifier, Outcome
from .clients import TOMBSTONE, Consumer, KafkaClients, KafkaPython, Producer
from .config import CONSUMER_REQUIRED, PumpConfig
from .content_type import output_headers
from .dead_letter import dead_letter_headers, log_failure
from .errors import BrokerUnavailable, ClassifierUnavailable, RecordFailed, Unavailable
from .health import PumpHealth
from .metrics import PumpMetrics
from .retry import classify_with_retries
from .topics import TopicSpec, ensure_topics

log = logging.getLogger("pump")

# The broker refused this one record (too large, invalid): retrying cannot help, so it fails like a stage.
_RECORD_REFUSALS = (MessageSizeTooLargeError, InvalidRecordError, InvalidTopicError, CorruptRecordError)
# The group moved on (a rebalance): the partitions' new owner processes the records again.
_GROUP_MOVED_ON = (CommitFailedError, RebalanceInProgressError, IllegalGenerationError, UnknownMemberIdError)
_HOUSEKEEPING_INTERVAL_S = 1.0
_PROBE_TIMEOUT_MS = 5000


class ErrorHandling(Protocol):
    """The `errors.*` settings the pump reads (transforms.ErrorPolicy fits)."""

    @property
    def tolerance(self) -> str: ...
    @property
    def dead_letter_topic(self) -> str | None: ...
    @property
    def dead_letter_replication_factor(self) -> int: ...
    @property
    def context_headers(self) -> bool: ...
    @property
    def log_enable(self) -> bool: ...
    @property
    def log_include_messages(self) -> bool: ...
    @property
    def retry_timeout_ms(self) -> int: ...
    @property
    def retry_delay_max_ms(self) -> int: ...


@dataclass(slots=True)
class _Sent:
    """One record handed to the producer: the batch index it came from, and where it went."""

    index: int
    topic: str
    dead_letter: bool
    future: Any = None  # kafka-python's FutureRecordMetadata
    error: Exception | None = None  # the producer refused it before sending


@dataclass(frozen=True, slots=True)
class _Stop:
    """Where the batch stops: the first record that failed with errors.tolerance=none."""

    index: int
    failure: Failure


class Pump:
    """At-least-once consume -> classify -> produce -> commit, until request_stop().

    It is also the sidecar's PumpProbe: health_components(), ready(), seconds_since_progress().

    >>> pump = Pump(config, ChainClassifier(chain), chain.errors, registry)  # doctest: +SKIP
    >>> signals.install(pump, shutdown_timeout_s=config.shutdown_timeout_s)  # doctest: +SKIP
    >>> sys.exit(pump.run())                                                 # doctest: +SKIP
    """

    def __init__(
        self,
        config: PumpConfig,
        classifier: Classifier,
        errors: ErrorHandling,
        registry: CollectorRegistry | None = None,
        *,
        clients: KafkaClients | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._classifier = classifier
        self._errors = errors
        self._clients = clients if clients is not None else KafkaPython()
        self._clock = clock
        self._metrics = PumpMetrics(registry if registry is not None else CollectorRegistry())
        self._health = PumpHealth(config.group_id, config.brokers, clock)
        # kafka-python says only that it could not bootstrap; its log records say why (see broker_trouble).
        self._trouble = BrokerTrouble(config.brokers, {**config.client, **config.consumer})
        self._health.trouble = self._trouble.diagnosis
        self._consumer: Consumer | None = None
        self._producer: Producer | None = None
        self._stop_requested = False
        self._stop_requested_at: float | None = None
        self._in_hand: Sequence[Record] = ()  # polled, not yet acknowledged: rewound if the turn fails
        self._uncommitted: dict[TopicPartition, OffsetAndMetadata] = {}  # acknowledged, commit pending
        self._positions: dict[TopicPartition, int] = {}  # next offset per partition, for the lag
        self._assignment: set[TopicPartition] = set()
        self._backoff_s = config.retry_backoff_s
        self._outage: str | None = None  # what is away, while it is
        self._outage_since = 0.0
        self._next_housekeeping = 0.0
        self._warned_silent_skips = False

    # --- the loop ---------------------------------------------------------------------------------------

    def run(self) -> int:
        """Pump until request_stop(); returns 0 after a clean shutdown. Raises RecordFailed when a record
        fails with errors.tolerance=none, TopicsMissing / TopicsNotCreated when topics cannot be provided."""
        self._trouble.install()
        try:
            self._connect()
            while not self._stop_requested:
                try:
                    self._run_once()
                    self._recovered()
                except Unavailable as why:
                    self._retry_later(why)
        except RecordFailed as failed:
            self._health.fatal = str(failed)
            raise
        finally:
            self.shutdown()
            self._trouble.remove()
        return 0

    def _run_once(self) -> None:
        """One turn: poll a batch, classify it, send the results, await their acknowledgement, commit."""
        batch = self._poll()
        if batch:
            started = self._clock()
            outcomes = classify_with_retries(self._classifier, batch, self._errors, self._wait, self._clock)
            stop = self._send_and_acknowledge(batch, outcomes)
            done = batch if stop is None else batch[: stop.index]
            self._in_hand = () if stop is None else batch[stop.index :]
            self._commit_after_acknowledgement(done, resume_at=None if stop is None else batch[stop.index])
            self._metrics.batch_duration.observe(self._clock() - started)
            if stop is not None:
                record = batch[stop.index]
                raise RecordFailed(record.topic, record.partition or 0, record.offset or 0, stop.failure)
        elif self._uncommitted:
            self._commit()
        self._housekeeping()

    # --- the steps --------------------------------------------------------------------------------------

    def _poll(self) -> list[Record]:
        assert self._consumer is not None
        polled = self._consumer.poll(timeout_ms=self.config.poll_timeout_ms)
        batch: list[Record] = []
        for tp, records in polled.items():
            self._positions[tp] = records[-1].offset + 1
            batch.extend(map(_to_record, records))
        if batch:
            self._in_hand = batch
            self._health.broker_answered()
            self._health.consumed += len(batch)
            self._metrics.consumed.inc(len(batch))
        return batch

    def _send_and_acknowledge(self, batch: Sequence[Record], outcomes: Sequence[Outcome]) -> _Stop | None:
        """Send every output and dead letter, then wait until the broker acknowledged all of them. Returns
        where the batch stops (errors.tolerance=none, or a dead letter the broker refused), else None."""
        stop = self._first_failure(batch, outcomes) if self._errors.tolerance == "none" else None
        end = len(batch) if stop is None else stop.index
        sent = [s for i in range(end) if (s := self._send(i, batch[i], outcomes[i])) is not None]
        refused = self._await_acknowledgement(sent)
        return self._settle_refusals(batch, refused) if refused else stop

    def _send(self, index: int, record: Record, outcome: Outcome) -> _Sent | None:
        if isinstance(outcome, Record):
            headers = output_headers(outcome.headers, outcome.value)
            return self._produce(index, outcome.topic, outcome.key, outcome.value, headers, outcome.timestamp)
        if outcome is None:
            self._metrics.dropped.inc()
            self._health.dropped += 1
            return None
        return self.dead_letter(index, record, outcome)

    def dead_letter(self, index: int, record: Record, failure: Failure) -> _Sent | None:
        """errors.tolerance=all: send the original record, untouched, to the dead-letter topic (with Connect's
        context headers when enabled); without a dead-letter topic, skip it as Connect does."""
        self._count_failure()
        topic = self._errors.dead_letter_topic
        action = f"Sending it to dead letter topic {topic}." if topic else "Skipping it (no dead letter topic)."
        if self._errors.log_enable:
            log_failure(record, failure, include_messages=self._errors.log_include_messages, action=action)
        elif topic is None and not self._warned_silent_skips:
            self._warned_silent_skips = True
            log.warning(
                "A record failed and is skipped (errors.tolerance=all, no errors.deadletterqueue.topic.name, "
                "errors.log.enable=false): failed records are counted in python_router_records_failed_total "
                "only. Set errors.log.enable=true to log each one."
            )
        if topic is None:
            return None
        headers = dead_letter_headers(
            record,
            failure,
            connector=self.config.app_name,
            task=self.config.instance_index,
            context=self._errors.context_headers,
        )
        return self._produce(index, topic, record.key, record.value, headers, record.timestamp, dead_letter=True)

    def _produce(
        self,
        index: int,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]],
        timestamp: int | None,
        dead_letter: bool = False,
    ) -> _Sent:
        assert self._producer is not None
        sent = _Sent(index, topic, dead_letter)
        try:
            value_or_tombstone = TOMBSTONE if value is None else value
            sent.future = self._producer.send(
                topic, value=value_or_tombstone, key=key, headers=headers, timestamp_ms=timestamp
            )
        except KafkaTimeoutError as why:
            raise BrokerUnavailable(
                f"Kafka gave no metadata for topic {topic} in time ({why}): the broker is unreachable, or the "
                "topic does not exist and the broker does not create topics."
            ) from why
        except (*_RECORD_REFUSALS, ValueError, TypeError) as why:
            sent.error = why
        return sent

    def _await_acknowledgement(self, sent: Sequence[_Sent]) -> list[tuple[_Sent, Exception]]:
        """Flush, then check every send: returns the records the broker refused for what they are (too large,
        invalid); raises BrokerUnavailable when it did not acknowledge in time or failed otherwise."""
        assert self._producer is not None
        timeout = self._time_left(self.config.ack_timeout_s)
        try:
            self._producer.flush(timeout=timeout)
        except KafkaTimeoutError as why:
            raise BrokerUnavailable(f"Kafka did not acknowledge the batch within {timeout:.0f}s ({why})") from why
        refused: list[tuple[_Sent, Exception]] = []
        produced: dict[str, int] = {}
        dead_lettered = 0
        for s in sent:
            error = s.error if s.error is not None else s.future.exception if s.future.failed() else None
            if error is None:
                if s.dead_letter:
                    dead_lettered += 1
                else:
                    produced[s.topic] = produced.get(s.topic, 0) + 1
            elif isinstance(error, (*_RECORD_REFUSALS, ValueError, TypeError)):
                refused.append((s, error))
            else:
                raise BrokerUnavailable(f"Kafka did not acknowledge a record for topic {s.topic}: {error}")
        self._health.broker_answered()
        for topic, count in produced.items():
            self._metrics.produced.labels(topic).inc(count)
            self._health.produced += count
        if dead_lettered:
            self._metrics.dead_lettered.inc(dead_lettered)
            self._health.dead_lettered += dead_lettered
        return refused

    def _settle_refusals(self, batch: Sequence[Record], refused: list[tuple[_Sent, Exception]]) -> _Stop | None:
        """Outputs the broker refused fail like a stage (stage KAFKA_PRODUCE): dead-lettered with
        errors.tolerance=all, a stop with none. A refused dead letter stops the pump: it cannot be lost."""
        resent: list[_Sent] = []
        stop: _Stop | None = None
        for sent, error in refused:
            failure = _refusal(sent, error)
            if sent.dead_letter:  # its failure is counted already
                stop = _Stop(sent.index, failure)
                break
            if self._errors.tolerance == "none":
                self._count_failure()
                stop = _Stop(sent.index, failure)
                break
            again = self.dead_letter(sent.index, batch[sent.index], failure)
            if again is not None:
                resent.append(again)
        # The dead letters sent above are for records before any stop: everything before the stop is
        # committed, so they must be acknowledged first; one the broker refuses is the earlier stop.
        for sent, error in self._await_acknowledgement(resent):
            return _Stop(sent.index, _refusal(sent, error))
        return stop

    def _commit_after_acknowledgement(self, done: Sequence[Record], resume_at: Record | None) -> None:
        """Commit, per partition, the offset after the last record done (all acknowledged by now); with a
        stop, the failed record's own offset, so that a restart resumes at it."""
        offsets: dict[TopicPartition, int] = {}
        for record in done:
            offsets[TopicPartition(record.topic, record.partition)] = record.offset + 1  # type: ignore[operator]
        if resume_at is not None:
            offsets[TopicPartition(resume_at.topic, resume_at.partition)] = resume_at.offset  # type: ignore[assignment]
        for tp, offset in offsets.items():
            previous = self._uncommitted.get(tp)
            if previous is None or previous.offset < offset:
                self._uncommitted[tp] = OffsetAndMetadata(offset, "", -1)
        self._commit()

    def _commit(self) -> None:
        assert self._consumer is not None
        if not self._uncommitted:
            return
        started = self._clock()
        try:
            self._consumer.commit(offsets=dict(self._uncommitted), timeout_ms=self._time_left_ms())
        except _GROUP_MOVED_ON as why:
            # Kept: the rebalance listener commits them before the partitions go, as Kafka's Java client
            # advises; if even that is too late, their next owner processes them again (duplicates, no loss).
            log.warning("Offsets not committed yet, the group is rebalancing (%s); retrying before revocation.", why)
            return
        except KafkaError as why:
            raise BrokerUnavailable(f"Kafka did not accept the offset commit: {why}") from why
        self._uncommitted.clear()
        self._metrics.commit_duration.observe(self._clock() - started)
        self._health.broker_answered()

    def _first_failure(self, batch: Sequence[Record], outcomes: Sequence[Outcome]) -> _Stop | None:
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome, Failure):
                self._count_failure()
                if self._errors.log_enable:
                    log_failure(
                        batch[index],
                        outcome,
                        include_messages=self._errors.log_include_messages,
                        action="Stopping (errors.tolerance=none).",
                    )
                return _Stop(index, outcome)
        return None

    def _count_failure(self) -> None:
        self._metrics.failed.inc()
        self._health.failed += 1

    # --- trouble: retry later, rewind, recover ----------------------------------------------------------

    def _retry_later(self, why: Unavailable) -> None:
        """Rewind what is not acknowledged, report the outage (once), and back off before the next turn."""
        cause = "classifier" if isinstance(why, ClassifierUnavailable) else "broker"
        self._metrics.retries.labels(cause).inc()
        if isinstance(why, BrokerUnavailable):
            self._health.broker_failed(str(why))
        if self._outage is None:
            self._outage, self._outage_since = str(why), self._clock()
            log.warning("%s. Retrying, committing nothing new until it succeeds.", why)
        self._rewind()
        # The loop is alive and retrying: that is progress for liveness (a restart would not bring the
        # broker back); readiness and the kafka component say what is wrong.
        self._health.progress()
        self._wait(self._backoff_s)
        self._backoff_s = min(self._backoff_s * 2, self.config.retry_backoff_max_s)

    def _rewind(self) -> None:
        """Seek each partition back to its first record in hand, so the next poll returns them again."""
        assert self._consumer is not None
        first: dict[TopicPartition, int] = {}
        for record in self._in_hand:
            first.setdefault(TopicPartition(record.topic, record.partition), record.offset)  # type: ignore[arg-type]
        self._in_hand = ()
        for tp, offset in first.items():
            try:
                self._consumer.seek(tp, offset)
                self._positions[tp] = offset
            except ValueError:
                pass  # no longer ours: its new owner resumes from the committed offset

    def _recovered(self) -> None:
        self._backoff_s = self.config.retry_backoff_s
        if self._outage is not None:
            log.info("Back to normal after %.0fs (%s).", self._clock() - self._outage_since, self._outage)
            self._outage = None

    # --- start, stop ------------------------------------------------------------------------------------

    def _connect(self) -> None:
        """Create missing topics, then the producer and the consumer, retrying while the broker is away."""
        while not self._stop_requested:
            try:
                self._provision_topics()
                self._producer = self._clients.producer(self.config.producer_configs())
                self._consumer = self._clients.consumer(self._consumer_configs())
                self._consumer.subscribe([self.config.input_topic], listener=_Rebalance(self))
                self._health.broker_answered()
                self._trouble.clear()
                log.info(
                    "Pumping %s -> %s as group %s",
                    self.config.input_topic,
                    ", ".join(self.config.output_topics),
                    self.config.group_id,
                )
                return
            except (KafkaConnectionError, KafkaTimeoutError) as why:
                self._close_clients()
                self._health.broker_failed(f"{type(why).__name__}: {why}")
                trouble = self._trouble.explain()
                # Refused (credentials, certificate, protocol): a setting must change, so retry slowly.
                wait = max(self._backoff_s, REFUSED_RETRY_S) if trouble and trouble.refused else self._backoff_s
                outage = trouble.reason if trouble else f"Kafka at {self.config.brokers} is unreachable"
                if self._outage != outage:  # once per cause, not per retry
                    self._outage_since = self._outage_since if self._outage else self._clock()
                    self._outage = outage
                    if trouble is None:
                        log.warning("Kafka at %s is unreachable (%s); retrying.", self.config.brokers, why)
                    elif trouble.refused:
                        log.error("%s. Retrying every %.0fs.", trouble.reason, wait)
                    else:
                        log.warning("%s; retrying.", trouble.reason)
                self._wait(wait)
                self._backoff_s = min(self._backoff_s * 2, self.config.retry_backoff_max_s)

    def _provision_topics(self) -> None:
        config = self.config
        specs = [TopicSpec(config.input_topic, config.partitions, config.replication_factor)]
        specs += [TopicSpec(topic, config.partitions, config.replication_factor) for topic in config.output_topics]
        if self._errors.dead_letter_topic:
            # As Connect does: one partition; its own replication factor.
            specs.append(TopicSpec(self._errors.dead_letter_topic, 1, self._errors.dead_letter_replication_factor))
        admin = self._clients.admin(self.config.admin_configs())
        try:
            ensure_topics(admin, specs, auto_create=config.auto_create_topics)
        finally:
            admin.close()

    def _consumer_configs(self) -> dict[str, Any]:
        given = {**self.config.client, **self.config.consumer}
        for key, required in CONSUMER_REQUIRED.items():
            if key in given and given[key] != required:
                log.warning(
                    "Ignoring consumer setting %s=%r: the pump commits itself, after acknowledgement.", key, given[key]
                )
        return self.config.consumer_configs()

    def request_stop(self) -> None:
        """Ask the loop to finish the batch in hand and shut down. Safe from a signal handler or any thread."""
        if not self._stop_requested:
            self._stop_requested_at = self._clock()
            self._stop_requested = True

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def shutdown(self) -> None:
        """Flush, commit what is acknowledged, leave the group and close, within config.shutdown_timeout_s."""
        self._health.stopped = True
        try:
            if self._consumer is not None:
                self._commit()  # what is acknowledged and not committed yet, if anything
        except (KafkaError, Unavailable) as why:
            log.warning("Could not commit on shutdown (%s): those records are processed again after a restart.", why)
        finally:
            self._close_clients()
            self._classifier.close()
            log.info("Pump stopped.")

    def _close_clients(self) -> None:
        consumer, producer = self._consumer, self._producer
        self._consumer = self._producer = None
        if consumer is not None:
            try:
                consumer.close(autocommit=False, timeout_ms=self._time_left_ms())  # leaves the group
            except Exception as why:  # closing is best effort: the broker evicts us after session.timeout.ms anyway
                log.warning("Closing the consumer failed: %s", why)
        if producer is not None:
            try:
                producer.close(timeout=self._time_left(self.config.shutdown_timeout_s))
            except Exception as why:
                log.warning("Closing the producer failed: %s", why)

    # --- timing -----------------------------------------------------------------------------------------

    def _wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking early on request_stop(); False when stopping."""
        deadline = self._clock() + seconds
        while not self._stop_requested:
            left = deadline - self._clock()
            if left <= 0:
                return True
            time.sleep(min(left, 0.05))
        return False

    def _time_left(self, limit: float) -> float:
        """`limit` seconds, or less once a stop is requested: what remains of the shutdown budget."""
        if self._stop_requested_at is None:
            return limit
        left = self._stop_requested_at + self.config.shutdown_timeout_s - self._clock()
        return max(min(limit, left), 0.1)

    def _time_left_ms(self) -> int:
        return int(self._time_left(self.config.ack_timeout_s) * 1000)

    # --- health -----------------------------------------------------------------------------------------

    def _housekeeping(self) -> None:
        """Progress for liveness; now and then, the lag, and a broker round trip when nothing else told us
        the broker is there (an idle input)."""
        self._health.progress()
        now = self._clock()
        if now < self._next_housekeeping:
            return
        self._next_housekeeping = now + _HOUSEKEEPING_INTERVAL_S
        assert self._consumer is not None
        since = self._health.seconds_since_broker_contact()
        if since is None or since > self.config.broker_probe_interval_s:
            self._probe_broker()
        lags = []
        for tp, position in self._positions.items():
            try:
                highwater = self._consumer.highwater(tp)
            except IllegalStateError:  # revoked meanwhile
                continue
            if highwater is not None:
                lags.append((tp.topic, tp.partition, max(highwater - position, 0)))
        self._metrics.set_lag(lags)
        self._health.lag = sum(lag for _, _, lag in lags) if lags else None

    def _probe_broker(self) -> None:
        assert self._consumer is not None
        partitions = list(self._positions) or [TopicPartition(self.config.input_topic, 0)]
        try:
            self._consumer.end_offsets(partitions, timeout_ms=_PROBE_TIMEOUT_MS)
        except KafkaError as why:
            self._health.broker_failed(f"No answer from Kafka at {self.config.brokers}: {why}")
            return
        self._health.broker_answered()

    # The listener's callbacks add and remove partitions rather than replace the set: with the cooperative
    # assignor (partition.assignment.strategy=CooperativeSticky) they name only what changed.

    def _assigned(self, partitions: set[TopicPartition]) -> None:
        self._assignment |= partitions
        self._health.assignment = tuple(sorted(f"{tp.topic}-{tp.partition}" for tp in self._assignment))
        self._health.joined = True
        log.info("Assigned %s", ", ".join(self._health.assignment) or "no partitions (more members than partitions)")

    def _revoked(self, partitions: set[TopicPartition]) -> dict[TopicPartition, OffsetAndMetadata]:
        """Forget the partitions; return the acknowledged offsets still to commit for them."""
        self._health.joined = False
        self._assignment -= partitions
        pending = {tp: o for tp, o in self._uncommitted.items() if tp in partitions}
        for tp in partitions:
            self._uncommitted.pop(tp, None)
            self._positions.pop(tp, None)
        return pending

    def health_components(self) -> Mapping[str, Mapping[str, object]]:
        """Spring-shaped health components: kafka, consumer, and the classifier's (remoteRouter)."""
        components = dict(self._health.components())
        components.update(self._classifier.health())
        return components

    def ready(self) -> bool:
        return self._health.ready()

    def seconds_since_progress(self) -> float | None:
        return self._health.seconds_since_progress()


class _Rebalance(AsyncConsumerRebalanceListener):  # type: ignore[misc]  # kafka-python is untyped
    """Commits what is done before partitions are revoked, and keeps the health's view of the assignment.

    It runs on kafka-python's IO thread, inside the loop's poll() (so the loop is not running meanwhile);
    being async, it may await the commit without blocking heartbeats.
    """

    def __init__(self, pump: Pump) -> None:
        self._pump = pump

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        pending = self._pump._revoked(revoked)
        consumer = self._pump._consumer
        if pending and consumer is not None:
            try:
                await consumer.commit_async(pending)
            except Exception as why:
                log.warning("Could not commit before the rebalance (%s): those records are processed again.", why)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._pump._assigned(assigned)

    async def on_partitions_lost(self, lost: set[TopicPartition]) -> None:
        # Already someone else's: nothing may be committed for them.
        self._pump._revoked(lost)


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


def _refusal(sent: _Sent, error: Exception) -> Failure:
    what = "dead letter" if sent.dead_letter else "output record"
    cls = type(error)
    return Failure(
        stage="KAFKA_PRODUCE",
        alias="",
        class_name="kafka.KafkaProducer",
        exception_class=f"{cls.__module__}.{cls.__qualname__}",
        message=f"Kafka refused the {what} for topic {sent.topic}: {error}",
    )
