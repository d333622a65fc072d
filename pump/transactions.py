"""How a batch becomes final (router.delivery). At-least-once: the loop commits the batch's offsets once the
broker acknowledged its outputs. Exactly-once: the batch's outputs, dead letters and consumed offsets go in
one Kafka transaction; a failure aborts it, and the whole batch is read again."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from transforms.errors import Failure
from transforms.record import Record

from .classifier import Outcome
from .clients import TransactionalProducer
from .delivery import ErrorHandling, refusal_failure
from .errors import BrokerUnavailable, GroupMovedOn, RecordFailed, TransactionFailed, Unavailable
from .metrics import PumpMetrics
from .offsets import Offsets
from .startup import Connection

log = logging.getLogger("pump")


class BatchCommit(Protocol):
    """The loop's hooks around one batch: begin() before its outputs are sent (returns the outcomes to
    deliver), commit() once they are acknowledged, abort() when the turn failed (returns the records to read
    again)."""

    def begin(
        self, connection: Connection, batch: Sequence[Record], outcomes: Sequence[Outcome]
    ) -> Sequence[Outcome]: ...

    def commit(self, connection: Connection, timeout_s: float) -> None: ...

    def abort(self, connection: Connection, in_hand: Sequence[Record], why: Unavailable) -> Sequence[Record]: ...


class AtLeastOnce:
    """Offsets committed after acknowledgement; a failed turn rewinds what is not acknowledged yet."""

    def __init__(self, offsets: Offsets) -> None:
        self._offsets = offsets

    def begin(self, connection: Connection, batch: Sequence[Record], outcomes: Sequence[Outcome]) -> Sequence[Outcome]:
        return outcomes

    def commit(self, connection: Connection, timeout_s: float) -> None:
        self._offsets.commit(connection.consumer, timeout_s)

    def abort(self, connection: Connection, in_hand: Sequence[Record], why: Unavailable) -> Sequence[Record]:
        return in_hand


class ExactlyOnce:
    """One transaction per batch. Acknowledged outputs of an aborted transaction are invisible to
    read_committed consumers, so abort() gives back the whole batch to read again, and forgets its offsets
    (committing them outside the transaction would lose the batch).

    A record the broker refuses fails the whole transaction, not only itself: abort() remembers it, and the
    next attempt fails it (stage KAFKA_PRODUCE: dead-lettered with errors.tolerance=all, a stop with none).
    A refused dead letter stops the pump, as in at-least-once, with nothing of its batch committed.
    """

    def __init__(
        self,
        offsets: Offsets,
        metrics: PumpMetrics,
        errors: ErrorHandling,
        abort_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._offsets = offsets
        self._metrics = metrics
        self._dead_letter_topic = errors.dead_letter_topic
        self._abort_timeout_s = abort_timeout_s
        self._clock = clock
        self._open: Sequence[Record] | None = None  # the batch of the open transaction
        self._outcomes: Sequence[Outcome] = ()
        self._refused: dict[tuple[str, int | None, int | None], Failure] = {}  # input record -> its failure

    def begin(self, connection: Connection, batch: Sequence[Record], outcomes: Sequence[Outcome]) -> Sequence[Outcome]:
        if self._refused:
            outcomes = [self._refused.get(_where(r), outcome) for r, outcome in zip(batch, outcomes, strict=True)]
        _transactional(connection).begin()
        self._open, self._outcomes = batch, outcomes
        return outcomes

    def commit(self, connection: Connection, timeout_s: float) -> None:
        started = self._clock()
        try:
            _transactional(connection).commit(self._offsets.to_commit(), connection.consumer, timeout_s)
        except GroupMovedOn as why:
            # Its partitions may be ours again after the rebalance: abort, and read the batch again.
            raise BrokerUnavailable(f"The group moved on before the transaction committed ({why})") from why
        except BaseException:
            self._offsets.forget_pending()
            raise
        self._open, self._outcomes = None, ()
        self._refused.clear()
        self._offsets.forget_pending()  # committed, with the transaction
        self._metrics.commit_duration.observe(self._clock() - started)

    def abort(self, connection: Connection, in_hand: Sequence[Record], why: Unavailable) -> Sequence[Record]:
        self._offsets.forget_pending()
        batch, self._open = self._open, None
        if batch is None:
            return in_hand
        try:
            _transactional(connection).abort(self._abort_timeout_s)
        except BrokerUnavailable as failed:
            # The broker aborts it anyway once transaction.timeout.ms passes, or when this producer's next
            # transaction begins; meanwhile read_committed consumers of the outputs wait for it.
            log.warning("Could not abort the transaction (%s): Kafka aborts it on its own.", failed)
        if isinstance(why, TransactionFailed):
            self._remember(batch, why)
        return batch

    def _remember(self, batch: Sequence[Record], why: TransactionFailed) -> None:
        for index, refusal in why.refused:
            record, outcome = batch[index], self._outcomes[index]
            if isinstance(outcome, Record):
                self._refused[_where(record)] = refusal_failure(refusal, outcome.topic, self._dead_letter_topic)
            else:  # its dead letter: stop at it, as at-least-once does
                failure = refusal_failure(refusal, None, self._dead_letter_topic)
                raise RecordFailed(record.topic, record.partition or 0, record.offset or 0, failure)


def _where(record: Record) -> tuple[str, int | None, int | None]:
    return record.topic, record.partition, record.offset


def _transactional(connection: Connection) -> TransactionalProducer:
    if connection.transactional is None:
        raise TypeError("router.delivery=exactly-once, yet the pump connected without a transactional producer")
    return connection.transactional


# The transaction timeout in force: Kafka's transaction.timeout.ms default, which both clients keep (the
# setting is not configurable in python-router).
TRANSACTION_TIMEOUT_MS = 60_000

# What exactly-once cannot work without, as (Kafka's name, whether a value contradicts it, why): a user's
# setting that contradicts it is a startup error naming the setting. The values are the same in both clients'
# forms (acks 0 and 1 are 0 and 1 in each; librdkafka's "all" is -1).
_REQUIRED: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
    ("acks", lambda acks: acks in (0, 1), "transactions need acks=all"),
    ("enable.idempotence", lambda enabled: enabled is False, "transactions need the idempotent producer"),
    ("isolation.level", lambda level: level == "read_uncommitted", "the pump reads its input read_committed"),
    (
        "delivery.timeout.ms",
        lambda ms: ms > TRANSACTION_TIMEOUT_MS,
        f"a record must be delivered or given up on within the transaction's timeout, transaction.timeout.ms "
        f"({TRANSACTION_TIMEOUT_MS} ms; librdkafka refuses more)",
    ),
)


def exactly_once_conflicts(
    producer: Mapping[str, Any], consumer: Mapping[str, Any], client_name: Callable[[str], str]
) -> list[str]:
    """The settings that contradict router.delivery=exactly-once, one message each. `producer` and `consumer`
    are the user's settings in the client's terms; `client_name` gives the client's name for a Kafka setting
    (python_router.kafka_config.client_name)."""
    given = {**producer, **consumer}
    problems = []
    for name, contradicts, why in _REQUIRED:
        key = client_name(name)
        if key in given and contradicts(given[key]):
            value = str(given[key]).lower()
            problems.append(
                f"router.delivery=exactly-once contradicts {name}={value}: {why}. Remove the {name} setting "
                "(spring.cloud.stream.kafka.binder.configuration, producerProperties or consumerProperties), "
                "or use router.delivery=at-least-once"
            )
    return problems
