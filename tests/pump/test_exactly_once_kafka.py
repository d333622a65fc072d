"""router.delivery=exactly-once on a real Apache Kafka broker, on both Kafka clients (the `kafka_client`
fixture): after a SIGKILL mid-run, a broker restart mid-run, and a zombie (an instance paused while a new one
with its identity takes over), a read_committed reader of the outputs and of the dead-letter topic sees every
input record's result exactly once.

Each pump runs in its own process (tests/pump/run_pump.py). Duplicate counts are printed (run with -s).
"""

from __future__ import annotations

import collections
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaProducer

from scripts.local_kafka import LocalKafka
from tests.pump import test_pump_kafka
from tests.pump.kafka_tools import (
    PumpProcess,
    Topics,
    committed,
    create_topic,
    produce,
    read_all,
    timestamp,
    unique,
    wait_until_consumed,
)
from tests.pump.test_pump_kafka import _wait_for_commit, expected, report

pytestmark = pytest.mark.kafka

POISON_EVERY = 997  # every 997th input record is not a timestamp: dead-lettered (errors.tolerance=all)


def _value(i: int) -> bytes:
    return b"poison %d" % i if i % POISON_EVERY == 0 else timestamp(i)


def _records(first: int, count: int) -> Iterator[tuple[bytes, bytes]]:
    for i in range(first, first + count):
        yield f"k{i % 10}".encode(), _value(i)


def _paced(first: int, count: int, per_second: float) -> Iterator[tuple[bytes, bytes]]:
    start = time.monotonic()
    for n, record in enumerate(_records(first, count)):
        if n % 250 == 0:
            time.sleep(max(0.0, start + n / per_second - time.monotonic()))
        yield record


def assert_exactly_once(bootstrap: str, topics: Topics, count: int, delivery: str = "exactly-once") -> int:
    """What read_committed readers see: every input's output (or dead letter), nothing else, and with
    exactly-once each of them once; returns the duplicates (reported for the docs: the same scenario run
    at-least-once shows what exactly-once saves)."""
    routed = collections.Counter(
        r.value
        for topic in (topics.even, topics.odd, topics.dlq)
        for r in read_all(bootstrap, topic, committed_only=True)
    )
    wanted = {expected(i) if i % POISON_EVERY else _value(i) for i in range(count)}
    missing = wanted - routed.keys()
    assert not missing, f"{len(missing)} records lost, e.g. {sorted(missing)[:3]}"
    assert routed.keys() == wanted
    duplicates = sum(routed.values()) - len(wanted)
    assert duplicates == 0 or delivery == "at-least-once", (
        f"{duplicates} duplicates, e.g. {[v for v, n in routed.items() if n > 1][:3]}"
    )
    return duplicates


def _eos(topics: Topics, identity: str, *extra: str, delivery: str = "exactly-once") -> tuple[str, ...]:
    return ("--delivery", delivery, "--transactional-id", f"{topics.group}.{identity}", *extra)


# The pump processes of the at-least-once tests (killed at the end if still running).
logs, pumps = test_pump_kafka.logs, test_pump_kafka.pumps


# Each scenario also runs at-least-once, for the duplicates exactly-once saves (docs/pump.md).
DELIVERIES = pytest.mark.parametrize("delivery", ["exactly-once", "at-least-once"])


@DELIVERIES
def test_exactly_once_a_pump_killed_mid_run_and_restarted_duplicates_nothing(
    bootstrap: str,
    pumps: Callable[..., PumpProcess],
    record_property: Callable[[str, object], None],
    delivery: str,
    kafka_client: str,
) -> None:
    topics = Topics.fresh("eos-crash")
    create_topic(bootstrap, topics.input)
    produce(bootstrap, topics.input, _records(0, 20_000))
    first = pumps(topics, *_eos(topics, "0", delivery=delivery))
    _wait_for_commit(bootstrap, topics, at_least=1, pump=first)
    with ThreadPoolExecutor(max_workers=1) as loader:
        loading = loader.submit(produce, bootstrap, topics.input, _paced(20_000, 30_000, 3_000))
        _wait_for_commit(bootstrap, topics, at_least=10_000, pump=first)
        first.kill()
        assert (committed(bootstrap, topics.group, topics.input)[0] or 0) < 50_000, "killed too late"
        assert loading.result(timeout=120) == 30_000
    second = pumps(topics, *_eos(topics, "0", delivery=delivery))
    wait_until_consumed(bootstrap, topics.group, topics.input, timeout=180, pump=second)
    assert second.stop() == 0
    duplicates = assert_exactly_once(bootstrap, topics, 50_000, delivery)
    report(f"{kafka_client}, {delivery}, SIGKILL mid-run", duplicates, record_property)


@DELIVERIES
def test_exactly_once_a_broker_restart_mid_run_duplicates_nothing(
    private_broker: Callable[[], LocalKafka],
    tmp_path: Path,
    record_property: Callable[[str, object], None],
    delivery: str,
    kafka_client: str,
) -> None:
    broker = private_broker()
    topics = Topics.fresh("eos-restart")
    create_topic(broker.bootstrap, topics.input)
    produce(broker.bootstrap, topics.input, _records(0, 30_000))
    pump = PumpProcess(
        broker.bootstrap,
        topics,
        tmp_path,
        *_eos(topics, "0", "--ack-timeout", "5", delivery=delivery),
        client=kafka_client,
    )
    try:
        _wait_for_commit(broker.bootstrap, topics, at_least=5_000, pump=pump)
        broker.stop()
        time.sleep(3)
        assert pump.process.poll() is None, pump.log()  # still there, waiting for the broker
        broker.start()
        wait_until_consumed(broker.bootstrap, topics.group, topics.input, timeout=180, pump=pump)
        assert pump.stop() == 0
    finally:
        if pump.process.poll() is None:
            pump.kill()
    duplicates = assert_exactly_once(broker.bootstrap, topics, 30_000, delivery)
    report(f"{kafka_client}, {delivery}, broker restart mid-run", duplicates, record_property)


def test_a_zombie_is_fenced_writes_nothing_visible_and_exits_saying_so(
    bootstrap: str, pumps: Callable[..., PumpProcess], record_property: Callable[[str, object], None], kafka_client: str
) -> None:
    topics = Topics.fresh("eos-zombie")
    create_topic(bootstrap, topics.input)
    identity = unique("instance")
    same = _eos(topics, identity, "--group-instance-id", identity)
    with ThreadPoolExecutor(max_workers=1) as loader:
        loading = loader.submit(produce, bootstrap, topics.input, _paced(0, 20_000, 1_000))
        old = pumps(topics, *same)
        _wait_for_commit(bootstrap, topics, at_least=2_000, pump=old)
        old.signal(signal.SIGSTOP)
        paused_at = committed(bootstrap, topics.group, topics.input)[0] or 0
        new = pumps(topics, *same)
        _wait_for_commit(bootstrap, topics, at_least=paused_at + 2_000, pump=new)
        old.signal(signal.SIGCONT)
        assert old.wait(60) == 1, old.log_path.read_text()
        said = old.log_path.read_text()
        print("\nThe zombie's last lines:\n" + "\n".join(said.splitlines()[-3:]))
        assert "Fenced:" in said and "a newer instance with the same identity is running" in said, said
        assert loading.result(timeout=120) == 20_000
    wait_until_consumed(bootstrap, topics.group, topics.input, timeout=120, pump=new)
    assert new.stop() == 0
    duplicates = assert_exactly_once(bootstrap, topics, 20_000)
    report(f"{kafka_client}, exactly-once, zombie fenced", duplicates, record_property)


def test_exactly_once_an_output_the_broker_refuses_is_dead_lettered_once_in_a_new_transaction(
    bootstrap: str, pumps: Callable[..., PumpProcess]
) -> None:
    topics = Topics.fresh("eos-refused")
    create_topic(bootstrap, topics.input)
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:  # the even topic takes batches of at most 1,000 bytes: an output with a 2,000-byte header is refused
        admin.create_topics(
            {topics.even: {"num_partitions": 1, "replication_factor": 1, "configs": {"max.message.bytes": "1000"}}}
        )
    finally:
        admin.close()
    count, big = 400, range(0, 400, 100)  # four even records carry the big header to their outputs
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    try:
        for i in range(count):
            producer.send(
                topics.input, key=b"k", value=timestamp(i), headers=[("big", b"x" * 2000)] if i in big else []
            )
        producer.flush()
    finally:
        producer.close()
    pump = pumps(topics, *_eos(topics, "0"))
    wait_until_consumed(bootstrap, topics.group, topics.input, timeout=120, pump=pump)
    assert pump.stop() == 0
    # Each input's result exactly once: its output, or its dead letter. The broker refuses a whole producer
    # batch, so small even outputs that shared one with a big one are dead-lettered with it (as at-least-once).
    routed = collections.Counter(
        r.value for t in (topics.even, topics.odd) for r in read_all(bootstrap, t, committed_only=True)
    )
    dead = read_all(bootstrap, topics.dlq, committed_only=True)
    dead_lettered = collections.Counter(r.value for r in dead)
    for i in range(count):
        assert routed[expected(i)] + dead_lettered[timestamp(i)] == 1, (
            i,
            routed[expected(i)],
            dead_lettered[timestamp(i)],
        )
    assert sum(routed.values()) + sum(dead_lettered.values()) == count
    assert all(dead_lettered[timestamp(i)] == 1 for i in big)
    assert all(dead_lettered[timestamp(i)] == 0 for i in range(1, count, 2))  # odd outputs are never refused
    assert {dict(r.headers)["__connect.errors.stage"] for r in dead} == {b"KAFKA_PRODUCE"}
