"""The seam's transactional producer on librdkafka (pump/clients/librdkafka.py): librdkafka's errors translated
by what they say to do (fenced, abort required, retriable, fatal), with confluent-kafka's producer stood in by
a small fake; the real broker's tests are in tests/pump/test_exactly_once_kafka.py, on both clients."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from pump.clients import Partition
from pump.clients.librdkafka import LibrdkafkaConsumer, LibrdkafkaTransactionalProducer
from pump.errors import FENCED_ADVICE, BrokerUnavailable, Fenced, GroupMovedOn, TransactionFailed

TID = "python-router.recipe.python-router-0"
POSITIONS = {Partition("timeDest", 0): 42}


def error(code: int, *, fatal: bool = False, retriable: bool = False, abort: bool = False) -> KafkaException:
    return KafkaException(
        KafkaError(code, f"librdkafka says {code}", fatal=fatal, retriable=retriable, txn_requires_abort=abort)
    )


class FakeTransactionalProducer:
    """confluent-kafka's Producer as far as the seam's transactions use it. `raises[call]` lists what each
    call of that name raises in turn (None: it succeeds); `fail` the delivery reports flush() gives."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.raises: dict[str, list[BaseException | None]] = {}
        self.fail: dict[bytes | None, KafkaError] = {}
        self.sent: list[tuple[bytes | None, Callable[..., None]]] = []
        self.offsets: list[tuple[list[TopicPartition], object]] = []
        self.block = threading.Event()  # send_offsets_to_transaction waits on it when "blocks" is raised

    def _call(self, name: str) -> None:
        self.calls.append(name)
        planned = self.raises.get(name)
        if planned:
            raised = planned.pop(0)
            if raised is not None:
                raise raised

    def init_transactions(self, timeout: float) -> None:
        self._call("init_transactions")

    def begin_transaction(self) -> None:
        self._call("begin_transaction")

    def send_offsets_to_transaction(self, offsets: list[TopicPartition], group: object, timeout: float) -> None:
        if self.raises.get("blocks"):
            self.block.wait(10)
        self._call("send_offsets_to_transaction")
        self.offsets.append((offsets, group))

    def commit_transaction(self, timeout: float) -> None:
        self._call("commit_transaction")

    def abort_transaction(self, timeout: float) -> None:
        self._call("abort_transaction")
        self.sent.clear()

    def produce(self, topic: str, value: bytes | None, key: bytes | None, **kwargs: Any) -> None:
        if value == b"too large":
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE, "Broker: Message size too large"))
        self.sent.append((value, kwargs["on_delivery"]))

    def flush(self, timeout: float) -> int:
        self._call("flush")
        for value, report in self.sent:
            if value in self.fail:
                report(self.fail[value], None)
        self.sent.clear()
        return 0

    def poll(self, timeout: float) -> int:
        return 0

    def purge(self) -> None:
        self.calls.append("purge")


class FakeRdConsumer:
    def consumer_group_metadata(self) -> object:
        return "the group's generation"


@pytest.fixture
def built() -> list[FakeTransactionalProducer]:
    """Every librdkafka producer the seam made, in order."""
    return []


@pytest.fixture
def seam(built: list[FakeTransactionalProducer]) -> LibrdkafkaTransactionalProducer:
    def build() -> Any:
        built.append(FakeTransactionalProducer())
        return built[-1]

    return LibrdkafkaTransactionalProducer(build, TID)


def consumer() -> LibrdkafkaConsumer:
    return LibrdkafkaConsumer(FakeRdConsumer(), 10)  # type: ignore[arg-type]


def send(seam: LibrdkafkaTransactionalProducer, tag: int, value: bytes) -> None:
    seam.send(tag, "evenDest", b"k", value, [], None)


def test_building_it_initialises_transactions_and_a_commit_adds_the_offsets_with_the_group_metadata(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer]
) -> None:
    seam.begin()
    send(seam, 0, b"a")
    assert seam.flush(5) == []
    seam.commit(POSITIONS, consumer(), 5)
    (producer,) = built
    assert producer.calls == [
        "init_transactions",
        "begin_transaction",
        "flush",
        "send_offsets_to_transaction",
        "commit_transaction",
    ]
    ((offsets, group),) = producer.offsets
    assert [(tp.topic, tp.partition, tp.offset) for tp in offsets] == [("timeDest", 0, 42)]
    assert group == "the group's generation"


@pytest.mark.parametrize("code", [KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH])
def test_a_fenced_producer_stops_naming_its_transactional_id(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer], code: int
) -> None:
    built[0].raises["commit_transaction"] = [error(code, fatal=True)]
    seam.begin()
    with pytest.raises(Fenced) as fenced:
        seam.commit(POSITIONS, consumer(), 5)
    assert str(fenced.value).startswith(f"Fenced: transactional.id {TID} now belongs to another producer (")
    assert str(fenced.value).endswith(f"{FENCED_ADVICE}.")


def test_a_fenced_consumer_identity_stops_naming_it(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer]
) -> None:
    built[0].raises["send_offsets_to_transaction"] = [error(KafkaError.FENCED_INSTANCE_ID, fatal=True)]
    seam.begin()
    with pytest.raises(Fenced, match=r"group\.instance\.id"):
        seam.commit(POSITIONS, consumer(), 5)


def test_offsets_the_group_refuses_because_it_moved_on_are_a_rebalance(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer]
) -> None:
    built[0].raises["send_offsets_to_transaction"] = [error(KafkaError.ILLEGAL_GENERATION, abort=True)]
    seam.begin()
    with pytest.raises(GroupMovedOn, match="ILLEGAL_GENERATION"):
        seam.commit(POSITIONS, consumer(), 5)


def test_an_error_that_requires_an_abort_fails_the_transaction_and_the_abort_keeps_the_producer(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer]
) -> None:
    built[0].raises["commit_transaction"] = [error(KafkaError.INVALID_TXN_STATE, abort=True)]
    seam.begin()
    with pytest.raises(TransactionFailed, match="Kafka could not commit the transaction"):
        seam.commit(POSITIONS, consumer(), 5)
    seam.abort(5)
    seam.begin()
    assert len(built) == 1
    assert built[0].calls[-2:] == ["abort_transaction", "begin_transaction"]


def test_a_commit_that_times_out_is_resumed_until_its_outcome_is_known(
    seam: LibrdkafkaTransactionalProducer,
    built: list[FakeTransactionalProducer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    timed_out = error(KafkaError._TIMED_OUT, retriable=True)
    built[0].raises["commit_transaction"] = [timed_out, timed_out, None]
    seam.begin()
    with caplog.at_level(logging.WARNING, logger="pump"):
        seam.commit(POSITIONS, consumer(), 5)
    assert built[0].calls.count("commit_transaction") == 3
    assert len([r for r in caplog.records if "waiting for its outcome" in r.getMessage()]) == 1


def test_offsets_not_added_in_time_are_the_broker_away(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer]
) -> None:
    built[0].raises["send_offsets_to_transaction"] = [error(KafkaError._TIMED_OUT, retriable=True)]
    seam.begin()
    with pytest.raises(BrokerUnavailable, match="did not add the offsets to the transaction in time"):
        seam.commit(POSITIONS, consumer(), 5)


def test_an_offsets_call_that_outlives_its_timeout_is_given_up_and_a_new_producer_takes_over(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer]
) -> None:
    stuck = built[0]
    stuck.raises["blocks"] = [None]
    seam.begin()
    try:
        with pytest.raises(BrokerUnavailable, match="librdkafka's call does not give up"):
            seam.commit(POSITIONS, consumer(), 0.01)
        seam.abort(5)
        assert len(built) == 2
        assert "abort_transaction" not in stuck.calls and "purge" not in stuck.calls  # left to itself
        assert built[1].calls == ["init_transactions"]
    finally:
        stuck.block.set()


def test_after_a_fatal_error_the_abort_starts_afresh_with_a_new_producer(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer]
) -> None:
    built[0].raises["commit_transaction"] = [error(KafkaError._INCONSISTENT, fatal=True)]
    seam.begin()
    with pytest.raises(TransactionFailed, match="_INCONSISTENT"):
        seam.commit(POSITIONS, consumer(), 5)
    seam.abort(5)
    assert len(built) == 2
    assert "abort_transaction" not in built[0].calls
    assert built[1].calls == ["init_transactions"]
    seam.begin()
    assert built[1].calls == ["init_transactions", "begin_transaction"]


def test_an_abort_that_times_out_is_resumed_before_the_next_transaction_begins(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer]
) -> None:
    built[0].raises["abort_transaction"] = [error(KafkaError._TIMED_OUT, retriable=True), None]
    seam.begin()
    with pytest.raises(BrokerUnavailable, match="did not abort the transaction in time"):
        seam.abort(5)
    seam.begin()
    assert built[0].calls[-3:] == ["abort_transaction", "abort_transaction", "begin_transaction"]


def test_a_record_refused_by_the_broker_fails_the_transaction_naming_it(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer]
) -> None:
    built[0].fail[b"b"] = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE, "Broker: Message size too large")
    seam.begin()
    send(seam, 0, b"a")
    send(seam, 1, b"b")
    with pytest.raises(TransactionFailed, match="Kafka refused 1 record") as failed:
        seam.flush(5)
    assert [tag for tag, _ in failed.value.refused] == [1]


def test_a_record_refused_before_it_is_sent_is_failed_and_the_transaction_goes_on(
    seam: LibrdkafkaTransactionalProducer,
) -> None:
    seam.begin()
    send(seam, 0, b"a")
    send(seam, 1, b"too large")
    assert [(tag, "MSG_SIZE_TOO_LARGE" in str(why)) for tag, why in seam.flush(5)] == [(1, True)]


def test_a_record_librdkafka_gave_up_on_fails_the_transaction_instead_of_being_sent_again(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer]
) -> None:
    built[0].fail[b"a"] = KafkaError(KafkaError._MSG_TIMED_OUT, "Local: Message timed out")
    seam.begin()
    send(seam, 0, b"a")
    with pytest.raises(TransactionFailed, match="_MSG_TIMED_OUT") as failed:
        seam.flush(5)
    assert failed.value.refused == []


def test_a_delivery_report_that_says_fenced_stops_the_pump(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer]
) -> None:
    built[0].fail[b"a"] = KafkaError(KafkaError._FENCED, "Local: This instance has been fenced", fatal=True)
    seam.begin()
    send(seam, 0, b"a")
    with pytest.raises(Fenced, match=f"transactional\\.id {TID}"):
        seam.flush(5)


def test_a_fatal_error_confluent_kafka_raises_through_a_delivery_report_is_read_from_its_cause(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer]
) -> None:
    # confluent-kafka 2.16: the next delivery report runs with the KafkaException pending -> SystemError.
    fatal = error(KafkaError._FENCED, fatal=True)
    raised = SystemError("<method 'append' of 'list' objects> returned a result with an exception set")
    raised.__cause__ = fatal
    built[0].raises["flush"] = [raised]
    seam.begin()
    with pytest.raises(Fenced):
        seam.flush(5)


def test_reports_of_an_aborted_transaction_are_not_blamed_on_the_next(
    seam: LibrdkafkaTransactionalProducer, built: list[FakeTransactionalProducer]
) -> None:
    seam.begin()
    send(seam, 0, b"a")
    seam.abort(5)
    seam._failed.append((1, 0, "evenDest", KafkaError(KafkaError._PURGE_QUEUE, "Local: Purged in queue")))
    seam.begin()
    send(seam, 0, b"a")
    assert seam.flush(5) == []
