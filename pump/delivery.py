"""Delivery and acknowledgement: send a batch's outputs and dead letters, later wait until the broker
acknowledged every one, and settle what it refused (Kafka Connect's errors.tolerance); say where the batch
stops. Between the two the loop may poll and classify the next batch, while the producer delivers this one.

A record is sent once: while the broker is away, or a topic is missing, the wait goes on (the client keeps
sending what it holds) instead of sending the batch again, so an outage writes no duplicate; only what the
client gives up on is sent again. A record is never sent where it cannot fit: an output larger than its
topic takes is refused before it is sent, and a dead letter's context headers are cut to fit its topic."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple, Protocol

from transforms.errors import Failure
from transforms.record import Record

from .classifier import Outcome
from .clients import Batch, Positions, Producer
from .config import PumpConfig
from .content_type import output_headers
from .dead_letter import dead_letter_headers, fit, headers_size, log_failure, record_size
from .errors import BrokerUnavailable, RecordRefused, Undelivered
from .health import PumpHealth
from .metrics import PumpMetrics

log = logging.getLogger("pump")

# How long one wait on the broker lasts before the loop looks around (health, a stop request, a missing topic).
WAIT_SLICE_S: Final = 0.5
# While the broker is away: `between(topics)` keeps the loop's health and housekeeping going, and says False
# once the pump must give up (a stop whose budget is spent). `topics` are those the batch is waiting on.
Between = Callable[[Collection[str]], bool]


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


@dataclass(frozen=True, slots=True)
class Stop:
    """Where the batch stops: the first record that failed with errors.tolerance=none, or whose dead letter
    the broker refused. Everything before it is acknowledged. `advice`: what to do, when the settings in
    force are not the cause (a dead-letter topic too small, with errors.tolerance=all)."""

    index: int
    failure: Failure
    advice: str | None = None


class _Send(NamedTuple):
    """One record to send: an output, or a dead letter (a tuple: one is built per record)."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    timestamp: int | None
    dead_letter: bool


# One is built per output record: tuple.__new__ builds it in C, where _Send(...) runs a Python __new__.
_new_send: Final = tuple.__new__


@dataclass(slots=True)
class InFlight:
    """A batch sent and not yet acknowledged: its records, what the chain made of them, and what was sent."""

    records: Sequence[Record]
    outcomes: Sequence[Outcome]
    next: Positions  # per partition, the offset after the batch's last record
    started: float  # when it was polled, for the batch duration
    stop: Stop | None  # the first failure with errors.tolerance=none: nothing from it on was sent
    sends: dict[int, _Send]
    refused: list[tuple[int, RecordRefused]]  # refused before sending: too large for their topic


class BatchDelivery:
    """Sends what the chain made of a batch, and later waits for the broker's acknowledgement of all of it.

    Each record is sent with its index in the batch as its tag, so that the producer's answer names it.
    `limits` are the largest record each topic takes (pump/startup.py). A producer holds one batch in
    flight at a time: acknowledge() it before the next send().
    """

    def __init__(self, errors: ErrorHandling, config: PumpConfig, health: PumpHealth, metrics: PumpMetrics) -> None:
        self._errors = errors
        self._config = config
        self._health = health
        self._metrics = metrics
        self._warned_silent_skips = False

    def send(
        self,
        producer: Producer,
        limits: Mapping[str, int],
        batch: Batch,
        outcomes: Sequence[Outcome],
        started: float,
        between: Between,
    ) -> InFlight:
        """Send every output and dead letter of `batch` (up to a stop with errors.tolerance=none); raises
        BrokerUnavailable only when `between` says to give up waiting for a topic's metadata."""
        records = batch.records
        stop = self._first_failure(records, outcomes) if self._errors.tolerance == "none" else None
        sends: dict[int, _Send] = {}
        dropped = 0
        for index in range(len(records) if stop is None else stop.index):
            outcome = outcomes[index]
            if isinstance(outcome, Record):
                headers = output_headers(outcome.headers, outcome.value)
                send = (outcome.topic, outcome.key, outcome.value, headers, outcome.timestamp, False)
                sends[index] = _new_send(_Send, send)
            elif outcome is None:
                dropped += 1
            elif (dead := self._dead_letter(index, records[index], outcome, limits)) is not None:
                sends[index] = dead
        if dropped:
            self._metrics.dropped.inc(dropped)
            self._health.dropped += dropped
        refused = self._send_all(producer, limits, sends, between)
        return InFlight(records, outcomes, batch.next, started, stop, sends, refused)

    def acknowledge(
        self, producer: Producer, limits: Mapping[str, int], sent: InFlight, between: Between
    ) -> Stop | None:
        """Wait until the broker acknowledged everything `sent`, however long the broker is away (raises
        BrokerUnavailable only when `between` says to give up), and settle what it refused. Returns where
        the batch stops, else None."""
        refused = self._await(producer, sent.sends, sent.refused, between)
        if not refused:
            return sent.stop
        return self._settle_refusals(producer, limits, sent.records, sent.outcomes, sent.sends, refused, between)

    def _send_all(
        self, producer: Producer, limits: Mapping[str, int], sends: Mapping[int, _Send], between: Between
    ) -> list[tuple[int, RecordRefused]]:
        """Send `sends`, except those too large for their topic: refused at once, and returned."""
        refused: list[tuple[int, RecordRefused]] = []
        header_bytes: dict[int, int] = {}  # per headers list (the outputs of a batch share a few): its size
        for tag, send in sends.items():
            headers = send.headers
            size = header_bytes.get(id(headers))
            if size is None:
                size = header_bytes[id(headers)] = headers_size(headers)
            why = _too_large(send, limits, size)
            if why is None:
                self._send(producer, tag, send, between)
            else:
                refused.append((tag, why))
        return refused

    def _await(
        self,
        producer: Producer,
        sends: Mapping[int, _Send],
        refused: list[tuple[int, RecordRefused]],
        between: Between,
    ) -> list[tuple[int, RecordRefused]]:
        """Wait until every one of `sends` is acknowledged or refused (`refused`: those refused before
        sending); counts the acknowledged ones. Returns the refused, in batch order."""
        refused = list(refused)
        topics = {send.topic for send in sends.values()}
        while True:
            try:
                refused += producer.flush(WAIT_SLICE_S)
                break
            except Undelivered as lost:  # the client gave up on these: the only records ever sent twice
                refused += lost.refused
                # Not at once: a failure the client reports at once (an authorization) would make a busy loop.
                time.sleep(WAIT_SLICE_S)
                if not between(topics):
                    raise
                for tag in lost.tags:
                    self._send(producer, tag, sends[tag], between)
            except BrokerUnavailable:
                if not between(topics):
                    raise
        refused.sort(key=lambda item: item[0])
        refused_tags = {tag for tag, _ in refused}
        self._acknowledged([send for tag, send in sends.items() if tag not in refused_tags])
        return refused

    def _send(self, producer: Producer, tag: int, send: _Send, between: Between) -> None:
        while True:
            try:
                producer.send(tag, send.topic, send.key, send.value, send.headers, send.timestamp)
                return
            except BrokerUnavailable:  # no metadata for the topic in time: away, or the topic is missing
                if not between({send.topic}):
                    raise

    def _dead_letter(self, index: int, record: Record, failure: Failure, limits: Mapping[str, int]) -> _Send | None:
        """errors.tolerance=all: the original record, untouched, for the dead-letter topic (with Connect's
        context headers when enabled, cut to fit the topic); without a dead-letter topic, None: it is
        skipped, as Connect does."""
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
            connector=self._config.app_name,
            task=self._config.instance_index,
            context=self._errors.context_headers,
        )
        if topic in limits:
            headers = fit(record.key, record.value, headers, limits[topic])
        return _Send(topic, record.key, record.value, headers, record.timestamp, True)

    def _settle_refusals(
        self,
        producer: Producer,
        limits: Mapping[str, int],
        batch: Sequence[Record],
        outcomes: Sequence[Outcome],
        sends: Mapping[int, _Send],
        refused: list[tuple[int, RecordRefused]],
        between: Between,
    ) -> Stop | None:
        """Outputs the broker refused fail like a stage (stage KAFKA_PRODUCE): dead-lettered with
        errors.tolerance=all, a stop with none. A refused dead letter stops the pump: it cannot be lost."""
        dead_letters: dict[int, _Send] = {}
        stop: Stop | None = None
        for index, why in refused:
            send = sends[index]
            if send.dead_letter:  # its failure is counted already
                stop = self._dead_letter_refused(index, send, why)
                break
            failure = self._refusal(why, send.topic)
            if self._errors.tolerance == "none":
                self._count_failure()
                stop = Stop(index, failure)
                break
            if (dead := self._dead_letter(index, batch[index], failure, limits)) is not None:
                dead_letters[index] = dead
        # The dead letters sent above are for records before any stop: everything before the stop is
        # committed, so they must be acknowledged first; one the broker refuses is the earlier stop.
        again = self._await(producer, dead_letters, self._send_all(producer, limits, dead_letters, between), between)
        for index, why in again:
            return self._dead_letter_refused(index, dead_letters[index], why)
        return stop

    def _dead_letter_refused(self, index: int, send: _Send, why: RecordRefused) -> Stop:
        size = record_size(send.key, send.value, send.headers)
        advice = (
            f"the dead letter takes {size} bytes: raise max.message.bytes of topic {send.topic} above that "
            f"(kafka-configs.sh --alter --entity-type topics --entity-name {send.topic} --add-config "
            f"max.message.bytes=...) and the producer's max.request.size if need be, then restart"
        )
        return Stop(index, self._refusal(why, None), advice)

    def _acknowledged(self, sends: list[_Send]) -> None:
        self._health.broker_answered()
        produced: dict[str, int] = {}
        dead_lettered = 0
        for send in sends:
            if send.dead_letter:
                dead_lettered += 1
            else:
                produced[send.topic] = produced.get(send.topic, 0) + 1
        for topic, count in produced.items():
            self._metrics.produced.labels(topic).inc(count)
            self._health.produced += count
        if dead_lettered:
            self._metrics.dead_lettered.inc(dead_lettered)
            self._health.dead_lettered += dead_lettered

    def _first_failure(self, batch: Sequence[Record], outcomes: Sequence[Outcome]) -> Stop | None:
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
                return Stop(index, outcome)
        return None

    def _count_failure(self) -> None:
        self._metrics.failed.inc()
        self._health.failed += 1

    def _refusal(self, why: RecordRefused, output_topic: str | None) -> Failure:
        return refusal_failure(why, output_topic, self._errors.dead_letter_topic)


def refusal_failure(why: RecordRefused, output_topic: str | None, dead_letter_topic: str | None) -> Failure:
    """The Failure of a record the broker refused: its output (to `output_topic`) or its dead letter."""
    what, topic = ("output record", output_topic) if output_topic else ("dead letter", dead_letter_topic)
    return Failure(
        stage="KAFKA_PRODUCE",
        alias="",
        class_name=why.producer_class,
        exception_class=why.error_class,
        message=f"Kafka refused the {what} for topic {topic}: {why}",
    )


def _too_large(send: _Send, limits: Mapping[str, int], header_bytes: int) -> RecordRefused | None:
    """A record its topic cannot take, refused before it is sent: a broker's refusal would leave kafka-python's
    idempotent producer unable to send anything (a fatal state)."""
    limit = limits.get(send.topic)
    if limit is None:
        return None
    size = record_size(send.key, send.value, send.headers, header_bytes)
    if size <= limit:
        return None
    return RecordRefused(
        f"the record takes about {size} bytes, more than topic {send.topic} takes ({limit} bytes: its "
        "max.message.bytes, within the producer's max.request.size)",
        error_class="kafka.errors.MessageSizeTooLargeError",
        producer_class="pump.delivery.BatchDelivery",
    )
