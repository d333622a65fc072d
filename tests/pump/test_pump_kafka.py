"""The pump on a real Apache Kafka broker: routing, no loss across a crash, a broker restart and a scale-out,
poison records under both tolerances, clean shutdown, and remote classification through the sidecar; each test
on both Kafka clients (the `kafka_client` fixture: kafka-python and librdkafka), with the same assertions.

Each pump runs in its own process (tests/pump/run_pump.py, as the entry point runs it), except where a
test reads the pump's health while the broker is away. Duplicate counts are printed (run with -s to see).
"""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from scripts.local_kafka import LocalKafka, free_port
from tests.pump.kafka_tools import (
    ROOT,
    START,
    PumpProcess,
    Topics,
    committed,
    create_topic,
    load_timestamps,
    produce,
    read_all,
    timestamp,
    wait_until_consumed,
)

pytestmark = pytest.mark.kafka


def expected(i: int) -> bytes:
    return (b"Even" if i % 2 == 0 else b"Odd") + b" timestamp: " + timestamp(i)


def outputs(bootstrap: str, topics: Topics) -> tuple[list[Any], list[Any]]:
    return read_all(bootstrap, topics.even), read_all(bootstrap, topics.odd)


def assert_nothing_lost(bootstrap: str, topics: Topics, count: int) -> int:
    """Every input record is on the right output topic with the recipe's text; returns the duplicates."""
    even, odd = outputs(bootstrap, topics)
    routed = collections.Counter(r.value for r in even + odd)
    wanted = {expected(i) for i in range(count)}
    missing = wanted - routed.keys()
    assert not missing, f"{len(missing)} records lost, e.g. {sorted(missing)[:3]}"
    assert routed.keys() == wanted
    assert all(r.value.startswith(b"Even") for r in even) and all(r.value.startswith(b"Odd") for r in odd)
    return sum(routed.values()) - len(wanted)


def report(name: str, duplicates: int, record_property: Callable[[str, object], None]) -> None:
    record_property("duplicates", duplicates)
    print(f"\n{name}: {duplicates} duplicate(s)")


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def pumps(bootstrap: str, logs: Path, kafka_client: str) -> Iterator[Callable[..., PumpProcess]]:
    """Start pump processes on the session broker, on the test's Kafka client (each test runs on both);
    any left running are killed at the end."""
    started: list[PumpProcess] = []

    def start(topics: Topics, *extra: str, bootstrap_servers: str = bootstrap) -> PumpProcess:
        started.append(PumpProcess(bootstrap_servers, topics, logs, *extra, client=kafka_client))
        return started[-1]

    yield start
    for process in started:
        if process.process.poll() is None:
            process.kill()


def test_ten_thousand_timestamps_are_routed_by_parity_with_keys_and_per_key_order_kept(
    bootstrap: str, pumps: Callable[..., PumpProcess]
) -> None:
    topics = Topics.fresh("route")
    create_topic(bootstrap, topics.input, partitions=3)
    load_timestamps(bootstrap, topics.input, 10_000, keys=7)  # 7: each key has even and odd timestamps
    pump = pumps(topics, "--partitions", "3")

    wait_until_consumed(bootstrap, topics.group, topics.input, timeout=120, pump=pump)
    assert pump.stop() == 0

    even, odd = outputs(bootstrap, topics)
    assert sorted(r.value for r in even) == sorted(expected(i) for i in range(0, 10_000, 2))
    assert sorted(r.value for r in odd) == sorted(expected(i) for i in range(1, 10_000, 2))
    for records in (even, odd):
        by_key: dict[bytes, list[bytes]] = collections.defaultdict(list)
        for record in records:  # read_all: each partition in offset order
            by_key[record.key].append(record.value.split(b": ", 1)[1])
        assert set(by_key) == {f"k{i}".encode() for i in range(7)}
        for key, stamps in by_key.items():
            indexes = [_index(stamp) for stamp in stamps]
            assert indexes == sorted(indexes), f"order of key {key!r} not kept"
        assert all(dict(r.headers)["contentType"] == b'"text/plain"' for r in records)


def _index(stamp: bytes) -> int:
    """i, for the i-th timestamp the test loaded."""
    return int((datetime.strptime(stamp.decode(), "%m/%d/%y %H:%M:%S") - START).total_seconds())


def test_a_pump_killed_mid_run_and_restarted_loses_nothing(
    bootstrap: str, pumps: Callable[..., PumpProcess], record_property: Callable[[str, object], None]
) -> None:
    topics = Topics.fresh("crash")
    create_topic(bootstrap, topics.input)
    load_timestamps(bootstrap, topics.input, 20_000)
    first = pumps(topics)
    _wait_for_commit(bootstrap, topics, at_least=1, pump=first)  # consuming: the rest arrives over 10 s
    loading = _paced_load(bootstrap, topics.input, 30_000, per_second=3_000, first=20_000)
    _wait_for_commit(bootstrap, topics, at_least=10_000, pump=first)
    first.kill()
    assert (committed(bootstrap, topics.group, topics.input)[0] or 0) < 50_000, "killed too late to prove anything"

    assert loading.result(timeout=120) == 30_000
    second = pumps(topics)
    wait_until_consumed(bootstrap, topics.group, topics.input, timeout=180, pump=second)
    assert second.stop() == 0

    report("SIGKILL mid-run", assert_nothing_lost(bootstrap, topics, 50_000), record_property)


def test_a_broker_restart_mid_run_loses_nothing_and_health_says_down_meanwhile(
    private_broker: Callable[[], LocalKafka],
    logs: Path,
    kafka_client: str,
    record_property: Callable[[str, object], None],
) -> None:
    broker = private_broker()
    topics = Topics.fresh("restart")
    create_topic(broker.bootstrap, topics.input)
    load_timestamps(broker.bootstrap, topics.input, 30_000)
    health = logs / "health.json"
    pump = PumpProcess(
        broker.bootstrap,
        topics,
        logs,
        "--health-file",
        str(health),
        "--ack-timeout",
        "5",
        "--probe-interval",
        "2",
        client=kafka_client,
    )
    try:
        _wait_for_commit(broker.bootstrap, topics, at_least=5_000, pump=pump)
        broker.stop()
        _wait_for_health(health, "DOWN", pump)
        assert pump.process.poll() is None  # still there, retrying
        broker.start()
        wait_until_consumed(broker.bootstrap, topics.group, topics.input, timeout=180, pump=pump)
        _wait_for_health(health, "UP", pump)
        assert pump.stop() == 0
    finally:
        if pump.process.poll() is None:
            pump.kill()
    report("broker restart mid-run", assert_nothing_lost(broker.bootstrap, topics, 30_000), record_property)


def _wait_for_health(path: Path, status: str, pump: PumpProcess, timeout: float = 60) -> None:
    """Until the kafka component the pump reports has `status`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if json.loads(path.read_text())["kafka"]["status"] == status:
                return
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            text = path.read_text() if path.exists() else "(none)"
            raise AssertionError(f"kafka health never {status}: {text}\n{pump.log()}")
        time.sleep(0.2)


def _paced_load(
    bootstrap: str, topic: str, count: int, per_second: float, first: int = 0, step: int = 500
) -> Future[int]:
    """Produce timestamps `first` to `first + count` (keyed as load_timestamps keys them) at about `per_second`,
    in a thread, so that a pump cannot finish them before the test has done its damage, however loaded the
    machine. Its result is how many were sent (or the producer's error): take it before counting on them."""

    def paced() -> Iterator[tuple[bytes, bytes]]:
        start = time.monotonic()
        for n, i in enumerate(range(first, first + count)):
            if n % step == 0:  # `step` records at a time
                time.sleep(max(0.0, start + n / per_second - time.monotonic()))
            yield f"k{i % 10}".encode(), timestamp(i)

    loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paced-load")
    try:
        return loader.submit(produce, bootstrap, topic, paced())
    finally:
        loader.shutdown(wait=False)


def _wait_for_commit(bootstrap: str, topics: Topics, at_least: int, pump: PumpProcess | None = None) -> None:
    deadline = time.monotonic() + 120
    while (committed(bootstrap, topics.group, topics.input).get(0) or 0) < at_least:
        if time.monotonic() > deadline:
            raise AssertionError(f"fewer than {at_least} committed after 120s\n{pump.log() if pump else ''}")
        time.sleep(0.1)


POISON: list[tuple[bytes | None, bytes | None]] = [
    (b"p1", b"not a timestamp"),
    (b"p2", b""),
    (b"p3", b"\xff\xfe\x00 binary garbage"),
    (b"p4", b"05/17/19 17:56:36\n"),  # the recipe crashed on this one; the chain reads it
    (b"p5", b"x" * 1_000_000),  # near the broker's 1 MiB limit
    (b"p6", None),  # a tombstone: dropped, not an error
]


def test_poison_records_are_dead_lettered_once_each_and_every_good_record_is_routed(
    bootstrap: str, pumps: Callable[..., PumpProcess]
) -> None:
    topics = Topics.fresh("poison")
    create_topic(bootstrap, topics.input)
    good = [(b"k", timestamp(i)) for i in range(2_000)]
    mixed = good[:500] + POISON[:3] + good[500:1500] + POISON[3:] + good[1500:]
    produce(bootstrap, topics.input, mixed)
    pump = pumps(topics)

    wait_until_consumed(bootstrap, topics.group, topics.input, timeout=120, pump=pump)
    assert pump.stop() == 0

    dead = read_all(bootstrap, topics.dlq)
    assert [r.value for r in dead] == [b"not a timestamp", b"", b"\xff\xfe\x00 binary garbage", b"x" * 1_000_000]
    assert [r.key for r in dead] == [b"p1", b"p2", b"p3", b"p5"]
    for record in dead:
        headers = dict(record.headers)
        assert headers["__connect.errors.topic"] == topics.input.encode()
        assert headers["__connect.errors.stage"] == b"TRANSFORMATION"
        assert (
            headers["__connect.errors.class.name"]
            == b"transforms.builtin.timestamp_parity_router.TimestampParityRouter"
        )
        assert headers["__connect.errors.exception.class.name"] == b"transforms.errors.DataError"
    assert [int(dict(r.headers)["__connect.errors.offset"]) for r in dead] == [500, 501, 502, 1504]
    even, odd = outputs(bootstrap, topics)
    assert len(even) + len(odd) == 2_000 + 1  # the good ones, and the timestamp with a newline
    assert pump.health()["consumer"]["details"]["dropped"] == 1


def test_tolerance_none_stops_with_the_message_and_a_restart_resumes_at_the_failed_record(
    bootstrap: str, pumps: Callable[..., PumpProcess]
) -> None:
    topics = Topics.fresh("strict")
    create_topic(bootstrap, topics.input)
    produce(
        bootstrap, topics.input, [(b"k", timestamp(i)) for i in range(300)] + [(b"k", b"oops")] + [(b"k", timestamp(1))]
    )
    first = pumps(topics, "--set", "errors.tolerance=none")
    assert first.wait(60) == 1
    message = first.log_path.read_text().strip().splitlines()[-1]
    assert message.startswith(f"Stopped at record {topics.input}-0@300: TRANSFORMATION stage 'parity'"), message
    assert "Cannot read a timestamp from value b'oops'" in message
    assert committed(bootstrap, topics.group, topics.input) == {0: 300}
    even, odd = outputs(bootstrap, topics)
    assert len(even) + len(odd) == 300

    again = pumps(topics, "--set", "errors.tolerance=none")
    assert again.wait(60) == 1
    assert f"{topics.input}-0@300" in again.log_path.read_text().strip().splitlines()[-1]
    even, odd = outputs(bootstrap, topics)
    assert len(even) + len(odd) == 300  # nothing past the failed record, nothing twice


@pytest.mark.alone  # exits within its 10 s budget: timed with no other test beside it
def test_sigterm_mid_run_exits_zero_in_time_with_everything_produced_committed(
    bootstrap: str, pumps: Callable[..., PumpProcess]
) -> None:
    topics = Topics.fresh("term")
    create_topic(bootstrap, topics.input)
    load_timestamps(bootstrap, topics.input, 20_000)
    pump = pumps(topics, "--shutdown-timeout", "10")
    _wait_for_commit(bootstrap, topics, at_least=1, pump=pump)  # consuming: the rest arrives over 10 s
    loading = _paced_load(bootstrap, topics.input, 30_000, per_second=3_000, first=20_000)
    _wait_for_commit(bootstrap, topics, at_least=5_000, pump=pump)

    asked = time.monotonic()
    pump.signal(signal.SIGTERM)
    assert pump.wait(30) == 0
    assert time.monotonic() - asked < 10
    assert loading.result(timeout=120) == 30_000

    done = committed(bootstrap, topics.group, topics.input)[0] or 0
    even, odd = outputs(bootstrap, topics)
    assert 0 < done < 50_000
    assert len(even) + len(odd) == done  # everything produced is committed, nothing more
    again = pumps(topics)
    wait_until_consumed(bootstrap, topics.group, topics.input, timeout=120, pump=again)
    assert again.stop() == 0
    assert assert_nothing_lost(bootstrap, topics, 50_000) == 0  # and so a restart produces no duplicate


def test_two_pumps_share_four_partitions_and_one_stopping_mid_run_loses_nothing(
    bootstrap: str, pumps: Callable[..., PumpProcess], record_property: Callable[[str, object], None]
) -> None:
    topics = Topics.fresh("scale")
    create_topic(bootstrap, topics.input, partitions=4)
    load_timestamps(bootstrap, topics.input, 20_000, keys=40)
    first = pumps(topics, "--partitions", "4", "--instance-index", "0")
    first.wait_for_log("Assigned", 60)
    # The rest arrives over about 20 s, so that the first pump cannot finish before it is stopped, however fast.
    loading = _paced_load(bootstrap, topics.input, 80_000, per_second=4_000, first=20_000)
    second = pumps(topics, "--partitions", "4", "--instance-index", "1")
    for pump in (first, second):
        _wait_for_log_line(pump, lambda line: "Assigned" in line and line.count(topics.input) == 2, 90)

    assert first.stop() == 0
    done = sum(offset or 0 for offset in committed(bootstrap, topics.group, topics.input).values())
    assert done < 100_000, "the first pump stopped after the end: nothing was proven"
    assert loading.result(timeout=120) == 80_000
    _wait_for_log_line(second, lambda line: "Assigned" in line and line.count(topics.input) == 4, 90)
    wait_until_consumed(bootstrap, topics.group, topics.input, timeout=180, pump=second)
    assert second.stop() == 0
    report("scale-out, one of two stopped", assert_nothing_lost(bootstrap, topics, 100_000), record_property)


def _wait_for_log_line(pump: PumpProcess, wanted: Callable[[str], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not any(wanted(line) for line in pump.log_path.read_text(errors="replace").splitlines()):
        assert time.monotonic() < deadline and pump.process.poll() is None, f"not found in:\n{pump.log()}"
        time.sleep(0.2)


class Sidecar:
    """tests/pump/run_sidecar.py on a fixed port, which can be stopped and started again."""

    def __init__(self, topics: Topics, logs: Path) -> None:
        self.port = free_port()
        self.topics = topics
        self.log_path = logs / "sidecar.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        topic_args = ["--input", self.topics.input, "--even", self.topics.even, "--odd", self.topics.odd]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "tests/pump/run_sidecar.py"), "--port", str(self.port), *topic_args],
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while "Sidecar listening" not in self.log_path.read_text():
            assert time.monotonic() < deadline and self.process.poll() is None, self.log_path.read_text()
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


@pytest.fixture
def sidecar(logs: Path) -> Iterator[Callable[[Topics], Sidecar]]:
    made: list[Sidecar] = []

    def make(topics: Topics) -> Sidecar:
        made.append(Sidecar(topics, logs))
        made[-1].start()
        return made[-1]

    yield make
    for server in made:
        server.stop()


def test_remote_mode_routes_like_in_process_and_survives_the_sidecar_restarting(
    bootstrap: str,
    pumps: Callable[..., PumpProcess],
    sidecar: Callable[[Topics], Sidecar],
    record_property: Callable[[str, object], None],
) -> None:
    topics = Topics.fresh("remote")
    create_topic(bootstrap, topics.input)
    load_timestamps(bootstrap, topics.input, 10_000)
    server = sidecar(topics)
    pump = pumps(topics, "--router-url", server.url)
    wait_until_consumed(bootstrap, topics.group, topics.input, timeout=120, pump=pump)

    even, odd = outputs(bootstrap, topics)
    assert sorted(r.value for r in even) == sorted(expected(i) for i in range(0, 10_000, 2))
    assert sorted(r.value for r in odd) == sorted(expected(i) for i in range(1, 10_000, 2))
    assert [r.key for r in even[:3]] == [b"k0", b"k2", b"k4"]

    # The sidecar goes away mid-run, and comes back. The 30,000 first timestamps arrive again, behind, paced
    # over about 15 s so that the pump cannot finish them before the sidecar is gone, however loaded the machine.
    loading = _paced_load(bootstrap, topics.input, 30_000, per_second=2_000)
    _wait_for_commit(bootstrap, topics, at_least=12_000, pump=pump)
    server.stop()
    time.sleep(3)
    stalled = committed(bootstrap, topics.group, topics.input)[0] or 0
    time.sleep(2)
    assert (committed(bootstrap, topics.group, topics.input)[0] or 0) == stalled  # nothing committed meanwhile
    assert pump.process.poll() is None
    server.start()
    assert loading.result(timeout=120) == 30_000
    wait_until_consumed(bootstrap, topics.group, topics.input, timeout=180, pump=pump)
    assert pump.stop() == 0
    assert "cannot be reached" in pump.log_path.read_text()

    even, odd = outputs(bootstrap, topics)
    routed = collections.Counter(r.value for r in even + odd)
    assert all(routed[expected(i)] >= 2 for i in range(10_000)), "a record of the first run or the second was lost"
    assert all(routed[expected(i)] >= 1 for i in range(10_000, 30_000))
    report("sidecar restart mid-run", sum(routed.values()) - 40_000, record_property)
