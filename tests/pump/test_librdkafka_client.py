"""The seam on librdkafka (pump/clients/librdkafka.py), its translation of confluent-kafka's results and error
codes, with confluent-kafka's clients stood in by small fakes; the real broker's tests are in
tests/pump/test_pump_kafka.py and tests/security, on both clients."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from pump.clients import Partition, kafka_clients
from pump.clients.librdkafka import Librdkafka, LibrdkafkaConsumer, LibrdkafkaProducer
from pump.errors import BrokerUnavailable, GroupMovedOn, KafkaClientMissing, RewindFailed, Undelivered


class FakeMessage:
    """confluent-kafka's Message in a delivery report: the record as it was sent."""

    def __init__(self, topic: str, key: bytes | None, value: bytes | None, headers: Any) -> None:
        self._what = (topic, key, value, headers)

    def topic(self) -> str:
        return self._what[0]

    def key(self) -> bytes | None:
        return self._what[1]

    def value(self) -> bytes | None:
        return self._what[2]

    def headers(self) -> Any:
        return self._what[3]


class FakeProducer:
    """confluent-kafka's Producer as far as the seam uses it: produce() keeps the delivery callback;
    flush() reports the failures the test chose, and says how many records are left."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, Callable[..., None], FakeMessage]] = []
        self.fail: dict[bytes | None, KafkaError] = {}
        self.left = 0
        self.full = 0  # produce() raises BufferError this many times first

    def produce(self, topic: str, value: bytes | None, key: bytes | None, **kwargs: Any) -> None:
        if self.full:
            self.full -= 1
            raise BufferError("Local: Queue full")
        if value == b"too large":
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE, "Broker: Message size too large"))
        message = FakeMessage(topic, key, value, list(kwargs["headers"]))
        self.sent.append((topic, value, kwargs["on_delivery"], message))

    def poll(self, timeout: float) -> int:
        return 0

    def flush(self, timeout: float) -> int:
        for _, value, report, message in self.sent:
            if value in self.fail:
                report(self.fail[value], message)
        self.sent.clear()
        return self.left


def producer() -> tuple[LibrdkafkaProducer, FakeProducer]:
    fake = FakeProducer()
    return LibrdkafkaProducer(fake), fake  # type: ignore[arg-type]


def send(seam: LibrdkafkaProducer, tag: int, value: bytes) -> None:
    seam.send(tag, "evenDest", b"k", value, [("contentType", b'"text/plain"')], None)


def test_a_batch_with_no_failure_report_is_acknowledged() -> None:
    seam, _ = producer()
    send(seam, 0, b"a")
    send(seam, 1, b"b")
    assert seam.flush(5) == []


def test_a_record_refused_for_what_it_is_is_returned_with_its_tag_in_the_order_sent() -> None:
    seam, fake = producer()
    fake.fail[b"b"] = KafkaError(KafkaError.INVALID_RECORD, "Broker: Invalid record")
    send(seam, 0, b"a")
    send(seam, 1, b"b")
    send(seam, 2, b"too large")  # refused by librdkafka itself, before sending
    refused = seam.flush(5)
    assert [tag for tag, _ in refused] == [1, 2]
    assert refused[0][1].error_class == "confluent_kafka.KafkaError.INVALID_RECORD"
    assert refused[1][1].producer_class == "confluent_kafka.Producer"
    assert "MSG_SIZE_TOO_LARGE" in str(refused[1][1])


def test_records_left_after_the_timeout_stay_pending_and_the_next_flush_reports_them() -> None:
    seam, fake = producer()
    send(seam, 7, b"a")
    report, message = fake.sent[0][2], fake.sent[0][3]
    fake.left = 1
    with pytest.raises(BrokerUnavailable, match="did not acknowledge 1 record"):
        seam.flush(0.1)
    fake.left = 0
    report(KafkaError(KafkaError.INVALID_RECORD, "Broker: Invalid record"), message)  # late: refused
    assert [tag for tag, _ in seam.flush(5)] == [7]


def test_records_the_client_gave_up_on_for_a_broker_reason_are_undelivered_for_sending_again() -> None:
    seam, fake = producer()
    fake.fail[b"a"] = KafkaError(KafkaError._MSG_TIMED_OUT, "Local: Message timed out")
    fake.fail[b"b"] = KafkaError(KafkaError.INVALID_RECORD, "Broker: Invalid record")
    send(seam, 0, b"a")
    send(seam, 1, b"b")
    send(seam, 2, b"c")
    with pytest.raises(Undelivered, match="Message timed out") as lost:
        seam.flush(5)
    assert lost.value.tags == [0] and [tag for tag, _ in lost.value.refused] == [1]


def test_a_failure_report_names_the_first_of_records_alike_and_headers_tell_records_apart() -> None:
    seam, fake = producer()
    fake.fail[b"same"] = KafkaError(KafkaError.INVALID_RECORD, "Broker: Invalid record")
    seam.send(0, "evenDest", b"k", b"same", [("h", b"1")], None)
    seam.send(1, "evenDest", b"k", b"other", [("h", b"1")], None)
    seam.send(2, "evenDest", b"k", b"same", [("h", b"1")], None)
    seam.send(3, "evenDest", b"k", b"same", [("h", b"2")], None)
    fake.sent = [fake.sent[2]]  # only the third record fails: it is reported with what it is
    assert [tag for tag, _ in seam.flush(5)] == [0]  # alike to the first in all four: that one is named


def test_a_failure_report_for_a_record_never_sent_has_the_whole_batch_sent_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seam, fake = producer()
    send(seam, 0, b"a")
    send(seam, 1, b"b")
    report = fake.sent[0][2]
    fake.sent.clear()
    report(KafkaError(KafkaError._MSG_TIMED_OUT, "Local: Message timed out"), FakeMessage("x", None, b"?", []))
    with pytest.raises(Undelivered) as lost:
        seam.flush(5)
    assert lost.value.tags == [0, 1]
    assert "for a record it was not sent" in caplog.text


def test_a_send_to_a_topic_the_cluster_does_not_have_is_told_to_the_trouble_watcher() -> None:
    missing: list[str] = []
    fake = FakeProducer()
    seam = LibrdkafkaProducer(fake, missing=missing.append)  # type: ignore[arg-type]
    fake.fail[b"a"] = KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, "Broker: Unknown topic or partition")
    send(seam, 0, b"a")
    with pytest.raises(Undelivered):
        seam.flush(5)
    assert missing == ["evenDest"]


def test_a_full_queue_is_waited_out() -> None:
    seam, fake = producer()
    fake.full = 3
    send(seam, 0, b"a")
    assert len(fake.sent) == 1


class FakeConsumer:
    """confluent-kafka's Consumer: consume() hands out the queued messages, and serves the answer to an
    asynchronous commit through the on_commit callback (unless the broker is `away`)."""

    def __init__(self, queued: list[Any]) -> None:
        self.queued = queued
        self.calls: list[tuple[int, float]] = []
        self.committed: list[Any] = []
        self.commit_error: KafkaError | None = None
        self.on_commit: Callable[..., None] = lambda error, partitions: None
        self.answer: tuple[KafkaError | None, list[Any]] | None = None
        self.away = False

    def consume(self, num_messages: int, timeout: float) -> list[Any]:
        self.calls.append((num_messages, timeout))
        if self.answer is not None and not self.away:
            answer, self.answer = self.answer, None
            self.on_commit(*answer)
        taken, self.queued = self.queued[:num_messages], self.queued[num_messages:]
        return taken

    def commit(self, offsets: list[Any], asynchronous: bool) -> list[Any] | None:
        if asynchronous:
            self.answer = (self.commit_error, offsets)
            if self.commit_error is None:
                self.committed.extend(offsets)
            return None
        if self.commit_error is not None:
            raise KafkaException(self.commit_error)
        self.committed.extend(offsets)
        return offsets


def consumer(fake: FakeConsumer, batch: int = 10) -> LibrdkafkaConsumer:
    seam = LibrdkafkaConsumer(fake, batch)  # type: ignore[arg-type]
    fake.on_commit = seam._committed
    return seam


class Message:
    def __init__(self, partition: int, offset: int, value: bytes | None, error: KafkaError | None = None) -> None:
        self._partition, self._offset, self._value, self._error = partition, offset, value, error

    def error(self) -> KafkaError | None:
        return self._error

    def topic(self) -> str:
        return "timeDest"

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes | None:
        return self._value

    def key(self) -> bytes | None:
        return b"k"

    def headers(self) -> list[tuple[str, bytes]] | None:
        return None

    def timestamp(self) -> tuple[int, int]:
        return (1, 1558115796000)


def test_a_poll_takes_what_is_there_without_waiting_for_a_full_batch() -> None:
    fake = FakeConsumer([Message(0, 10, b"a"), Message(1, 3, b"b"), Message(0, 11, b"c")])
    batch = LibrdkafkaConsumer(fake, 2000).poll(0.5)  # type: ignore[arg-type]
    assert fake.calls == [(2000, 0)]  # records were there: no wait at all
    assert [r.value for r in batch.records] == [b"a", b"b", b"c"]
    assert batch.next == {Partition("timeDest", 0): 12, Partition("timeDest", 1): 4}
    assert batch.records[0].timestamp == 1558115796000 and batch.records[0].key == b"k"


def test_an_idle_poll_waits_for_one_record_then_takes_the_rest_at_once() -> None:
    fake = FakeConsumer([])
    seam = LibrdkafkaConsumer(fake, 2000)  # type: ignore[arg-type]
    assert seam.poll(0.5).records == []
    assert fake.calls == [(2000, 0), (1, 0.5)]


def test_error_events_in_a_poll_are_not_records() -> None:
    eof = KafkaError(KafkaError._PARTITION_EOF, "end")
    fake = FakeConsumer([Message(0, 1, None, eof), Message(0, 1, b"a")])
    assert [r.value for r in LibrdkafkaConsumer(fake, 10).poll(0.5).records] == [b"a"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "raised"),
    [
        (KafkaError.REBALANCE_IN_PROGRESS, GroupMovedOn),
        (KafkaError.ILLEGAL_GENERATION, GroupMovedOn),
        (KafkaError.UNKNOWN_MEMBER_ID, GroupMovedOn),
        (KafkaError._TRANSPORT, BrokerUnavailable),
        (KafkaError.COORDINATOR_NOT_AVAILABLE, BrokerUnavailable),
    ],
)
def test_a_refused_commit_is_a_rebalance_or_an_outage(code: int, raised: type[Exception]) -> None:
    fake = FakeConsumer([])
    fake.commit_error = KafkaError(code, "refused")
    with pytest.raises(raised):
        consumer(fake).commit({Partition("timeDest", 0): 5}, 5)


def test_a_commit_stores_the_positions_given() -> None:
    fake = FakeConsumer([])
    consumer(fake).commit({Partition("timeDest", 0): 5}, 5)
    assert [(tp.topic, tp.partition, tp.offset) for tp in fake.committed] == [("timeDest", 0, 5)]


def test_a_commit_without_an_answer_gives_up_in_time_and_records_read_meanwhile_wait_for_the_next_poll() -> None:
    fake = FakeConsumer([Message(0, 7, b"a"), Message(1, 3, b"b")])
    fake.away = True  # no coordinator: librdkafka's synchronous commit would wait session.timeout.ms
    seam = consumer(fake)
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable, match="did not answer the offset commit within 0s"):
        seam.commit({Partition("timeDest", 0): 7}, 0.3)
    assert time.monotonic() - started < 2
    fake.away = False  # the late answer to the abandoned commit is not taken for the next one's
    fake.commit_error = KafkaError(KafkaError._TRANSPORT, "late")
    fake.answer = (None, [])
    assert [r.value for r in seam.poll(0.5).records] == [b"a", b"b"]


def test_records_held_for_a_partition_sought_back_are_dropped() -> None:
    fake = FakeConsumer([Message(0, 7, b"a"), Message(1, 3, b"b")])
    fake.away = True
    seam = consumer(fake)
    with pytest.raises(BrokerUnavailable):
        seam.commit({Partition("timeDest", 0): 7}, 0.1)
    seam._assigned.add(Partition("timeDest", 0))
    fake.seek = lambda tp: None  # type: ignore[attr-defined]
    assert seam.seek(Partition("timeDest", 0), 5)
    assert [r.value for r in seam.poll(0.5).records] == [b"b"]  # partition 0 is read again from offset 5


def test_settings_librdkafka_refuses_when_a_client_is_made_are_a_configuration_error() -> None:
    clients = Librdkafka()
    clients.trouble("kafka:9092", {})
    with pytest.raises(ValueError, match=r"librdkafka refused the producer's settings: .*socket\.timeout\.ms"):
        clients.producer({"socket.timeout.ms": 5})


def test_librdkafka_without_confluent_kafka_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "confluent_kafka" else real(name))
    with pytest.raises(KafkaClientMissing, match=r"pip install 'python-router\[librdkafka\]'"):
        kafka_clients("librdkafka")


def test_router_kafka_client_librdkafka_picks_this_implementation() -> None:
    assert isinstance(kafka_clients("librdkafka"), Librdkafka)


class SeekRefusing(FakeConsumer):
    def __init__(self) -> None:
        super().__init__([])
        self.seeks = 0

    def seek(self, partition: Any) -> None:
        self.seeks += 1
        raise KafkaException(KafkaError(KafkaError._STATE, "Local: Erroneous state"))


def test_a_partition_it_holds_but_cannot_rewind_stops_the_pump_rather_than_skip_records() -> None:
    fake = SeekRefusing()
    seam = LibrdkafkaConsumer(fake, 10)  # type: ignore[arg-type]
    assert seam.seek(Partition("timeDest", 0), 5) is False  # not assigned to this member: its owner resumes
    seam._assigned.add(Partition("timeDest", 0))
    with pytest.raises(RewindFailed, match="stopping so that no record is skipped"):
        seam.seek(Partition("timeDest", 0), 5)
    assert fake.seeks == 3


def test_a_producer_that_delivers_nothing_for_too_long_is_replaced_and_its_records_sent_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("pump.clients.librdkafka._STUCK_PRODUCER_S", 0.0)
    stuck, fresh = FakeProducer(), FakeProducer()
    stuck.purge = lambda: None  # type: ignore[attr-defined]
    seam = LibrdkafkaProducer(stuck, rebuild=lambda: fresh)  # type: ignore[arg-type, return-value]
    send(seam, 0, b"a")
    send(seam, 1, b"b")
    stuck.left = 2
    with pytest.raises(BrokerUnavailable):  # the first wait: the broker may just be away
        seam.flush(0.01)
    time.sleep(0.01)
    with pytest.raises(Undelivered) as lost:
        seam.flush(0.01)
    assert lost.value.tags == [0, 1]  # for the caller to send again, through the new producer
    assert "replacing it" in caplog.text
    send(seam, 2, b"c")
    assert [value for _, value, _, _ in fresh.sent] == [b"c"] and seam.flush(5) == []
