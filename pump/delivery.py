"""Delivery and acknowledgement: send a batch's outputs and dead letters, wait until the broker acknowledged
every one, and settle what it refused (Kafka Connect's errors.tolerance); say where the batch stops."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from transforms.errors import Failure
from transforms.record import Record

from .classifier import Outcome
from .clients import Producer
from .config import PumpConfig
from .content_type import output_headers
from .dead_letter import dead_letter_headers, log_failure
from .errors import RecordRefused
from .health import PumpHealth
from .metrics import PumpMetrics

log = logging.getLogger("pump")


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
    the broker refused. Everything before it is acknowledged."""

    index: int
    failure: Failure


class BatchDelivery:
    """Sends what the chain made of a batch and waits for the broker's acknowledgement of all of it.

    Each record is sent with its index in the batch as its tag, so that the producer's answer names it.
    """

    def __init__(self, errors: ErrorHandling, config: PumpConfig, health: PumpHealth, metrics: PumpMetrics) -> None:
        self._errors = errors
        self._config = config
        self._health = health
        self._metrics = metrics
        self._warned_silent_skips = False

    def deliver(
        self, producer: Producer, batch: Sequence[Record], outcomes: Sequence[Outcome], timeout_s: float
    ) -> Stop | None:
        """Send every output and dead letter, then wait until the broker acknowledged all of them (raises
        BrokerUnavailable when it does not in `timeout_s`). Returns where the batch stops, else None."""
        stop = self._first_failure(batch, outcomes) if self._errors.tolerance == "none" else None
        end = len(batch) if stop is None else stop.index
        produced: dict[str, int] = {}
        dead_letters = dropped = 0
        for index in range(end):
            outcome = outcomes[index]
            if isinstance(outcome, Record):
                headers = output_headers(outcome.headers, outcome.value)
                producer.send(index, outcome.topic, outcome.key, outcome.value, headers, outcome.timestamp)
                produced[outcome.topic] = produced.get(outcome.topic, 0) + 1
            elif outcome is None:
                dropped += 1
            elif self._dead_letter(producer, index, batch[index], outcome):
                dead_letters += 1
        if dropped:
            self._metrics.dropped.inc(dropped)
            self._health.dropped += dropped
        refused = producer.flush(timeout_s)
        for index, _ in refused:
            outcome = outcomes[index]
            if isinstance(outcome, Record):
                produced[outcome.topic] -= 1
            else:
                dead_letters -= 1
        self._acknowledged(produced, dead_letters)
        return self._settle_refusals(producer, batch, outcomes, refused, timeout_s) if refused else stop

    def _dead_letter(self, producer: Producer, index: int, record: Record, failure: Failure) -> bool:
        """errors.tolerance=all: send the original record, untouched, to the dead-letter topic (with Connect's
        context headers when enabled); without a dead-letter topic, skip it as Connect does. True if sent."""
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
            return False
        headers = dead_letter_headers(
            record,
            failure,
            connector=self._config.app_name,
            task=self._config.instance_index,
            context=self._errors.context_headers,
        )
        producer.send(index, topic, record.key, record.value, headers, record.timestamp)
        return True

    def _settle_refusals(
        self,
        producer: Producer,
        batch: Sequence[Record],
        outcomes: Sequence[Outcome],
        refused: list[tuple[int, RecordRefused]],
        timeout_s: float,
    ) -> Stop | None:
        """Outputs the broker refused fail like a stage (stage KAFKA_PRODUCE): dead-lettered with
        errors.tolerance=all, a stop with none. A refused dead letter stops the pump: it cannot be lost."""
        resent = 0
        stop: Stop | None = None
        for index, why in refused:
            outcome = outcomes[index]
            if not isinstance(outcome, Record):  # a dead letter; its failure is counted already
                stop = Stop(index, self._refusal(why, None))
                break
            failure = self._refusal(why, outcome.topic)
            if self._errors.tolerance == "none":
                self._count_failure()
                stop = Stop(index, failure)
                break
            resent += self._dead_letter(producer, index, batch[index], failure)
        # The dead letters sent above are for records before any stop: everything before the stop is
        # committed, so they must be acknowledged first; one the broker refuses is the earlier stop.
        again = producer.flush(timeout_s)
        self._acknowledged({}, resent - len(again))
        for index, why in again:
            return Stop(index, self._refusal(why, None))
        return stop

    def _acknowledged(self, produced: dict[str, int], dead_lettered: int) -> None:
        self._health.broker_answered()
        for topic, count in produced.items():
            if count:
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
