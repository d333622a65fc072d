"""pump/transactions.py's ExactlyOnce over a stub transactional producer: what a commit takes, what an abort
gives back and forgets, and how a refused record fails on the next attempt."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from pump.clients import Consumer, Partition, Positions
from pump.errors import BrokerUnavailable, RecordFailed, RecordRefused, TransactionFailed
from pump.health import PumpHealth
from pump.metrics import PumpMetrics
from pump.offsets import Offsets
from pump.startup import Connection
from pump.transactions import ExactlyOnce
from transforms.errors import Failure
from transforms.record import Record, make_record


class StubTransactions:
    """Records the calls; `fail_commit` makes the next commit raise it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail_commit: Exception | None = None

    def begin(self) -> None:
        self.calls.append(("begin", None))

    def commit(self, positions: Positions, consumer: Consumer, timeout_s: float) -> None:
        self.calls.append(("commit", dict(positions)))
        if self.fail_commit is not None:
            raise self.fail_commit

    def abort(self, timeout_s: float) -> None:
        self.calls.append(("abort", None))


def records(count: int) -> list[Record]:
    return [make_record("in", b"v%d" % i, None, (), 0, i, None) for i in range(count)]


def outputs(batch: Sequence[Record]) -> list[Any]:
    return [make_record("even", r.value, None, (), None, None, None) for r in batch]


@pytest.fixture
def setup() -> tuple[ExactlyOnce, Offsets, StubTransactions, Connection]:
    metrics = PumpMetrics(CollectorRegistry())
    offsets = Offsets("in", PumpHealth("g", "b"), metrics, clock=lambda: 0.0, before_revocation=lambda: None)
    offsets.assigned({Partition("in", 0)})
    errors = SimpleNamespace(dead_letter_topic="in.dlq")
    stub = StubTransactions()
    connection = Connection(consumer=None, producer=stub, transactional=stub)  # type: ignore[arg-type]
    return ExactlyOnce(offsets, metrics, errors, 5.0), offsets, stub, connection  # type: ignore[arg-type]


def test_a_commit_puts_the_acknowledged_offsets_in_the_transaction_and_leaves_none_pending(setup: Any) -> None:
    once, offsets, stub, connection = setup
    batch = records(3)
    once.begin(connection, batch, outputs(batch))
    offsets.acknowledged({Partition("in", 0): 3})
    once.commit(connection, 5.0)
    assert stub.calls == [("begin", None), ("commit", {("in", 0): 3})]
    assert not offsets.pending  # nothing left for a commit outside the transaction


def test_an_abort_gives_back_the_whole_batch_and_forgets_its_offsets(setup: Any) -> None:
    once, offsets, stub, connection = setup
    batch = records(4)
    once.begin(connection, batch, outputs(batch))
    offsets.acknowledged_until(batch[:2], resume_at=batch[2])
    stub.fail_commit = BrokerUnavailable("away")
    with pytest.raises(BrokerUnavailable):
        once.commit(connection, 5.0)
    assert not offsets.pending  # committing them now would lose the aborted outputs
    assert once.abort(connection, batch[2:], BrokerUnavailable("away")) == batch  # not only what is in hand
    assert stub.calls[-1] == ("abort", None)


def test_without_an_open_transaction_an_abort_gives_back_what_is_in_hand(setup: Any) -> None:
    once, _, stub, connection = setup
    batch = records(2)
    assert once.abort(connection, batch, BrokerUnavailable("away")) == batch
    assert stub.calls == []


def test_a_record_the_broker_refused_fails_on_the_next_attempt(setup: Any) -> None:
    once, _, _, connection = setup
    batch = records(3)
    once.begin(connection, batch, outputs(batch))
    refusal = RecordRefused("too large", error_class="kafka.errors.MessageSizeTooLargeError", producer_class="P")
    once.abort(connection, batch, TransactionFailed("refused", [(1, refusal)]))
    again = once.begin(connection, batch, outputs(batch))
    assert isinstance(again[1], Failure) and again[1].stage == "KAFKA_PRODUCE"
    assert again[1].message == "Kafka refused the output record for topic even: too large"
    assert isinstance(again[0], Record) and isinstance(again[2], Record)


def test_a_refused_dead_letter_stops_the_pump(setup: Any) -> None:
    once, _, _, connection = setup
    batch = records(2)
    failure = Failure(stage="TRANSFORMATION", alias="p", class_name="C", exception_class="E", message="bad")
    once.begin(connection, batch, [failure, outputs(batch)[1]])
    refusal = RecordRefused("too large", error_class="kafka.errors.MessageSizeTooLargeError", producer_class="P")
    with pytest.raises(RecordFailed):
        once.abort(connection, batch, TransactionFailed("refused", [(0, refusal)]))
