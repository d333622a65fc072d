"""Static membership on a real Apache Kafka broker, through the entry point (python-router processes) so
that the identity rule is the one users get: an instance index gives a group.instance.id.

- after SIGKILL and an immediate restart, the next record is routed within 10 s (without static membership
  the group waits for the dead member's session to expire: measured and printed, run with -s);
- two instances with different indexes share the partitions;
- the same index twice: the newer instance takes the identity, the older one is fenced and exits (code 1)
  with a line that says why and what to check; nothing is lost.
"""

from __future__ import annotations

import collections
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from scripts.local_kafka import free_port
from tests.pump.kafka_tools import Topics, create_topic, end_offsets, produce, read_all, timestamp
from tests.pump.test_pump_kafka import _paced_load as paced_load
from tests.pump.test_pump_kafka import expected
from tests.security.router_process import Router, launch

pytestmark = pytest.mark.kafka

PARTITIONS = 2
RATE = 200  # records/s, as in the measurement


@pytest.fixture
def routers(bootstrap: str, tmp_path: Path) -> Iterator[Callable[..., Router]]:
    """Start python-router processes on the session broker; any left running are killed at the end."""
    started: list[Router] = []

    def start(topics: Topics, index: int | None, client: str, *extra: str) -> Router:
        port = free_port()
        argv = [
            f"--spring.cloud.stream.bindings.input.destination={topics.input}",
            f"--spring.cloud.stream.bindings.even.destination={topics.even}",
            f"--spring.cloud.stream.bindings.odd.destination={topics.odd}",
            f"--spring.cloud.stream.bindings.input.group={topics.group}",
            f"--spring.cloud.stream.kafka.binder.brokers={bootstrap}",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            f"--router.kafka.client={client}",
            *extra,
        ]
        environ = {} if index is None else {"INSTANCE_INDEX": str(index)}
        name = f"router-{len(started)}"
        started.append(launch(name, argv, tmp_path / f"{name}.log", environ=environ, port=port))
        return started[-1]

    yield start
    for router in started:
        if router.alive():
            router.process.kill()
            router.process.wait()


def _paced_load(bootstrap: str, topic: str, count: int) -> Future[int]:
    return paced_load(bootstrap, topic, count, per_second=RATE, step=20)  # 20 at a time: a steady flow


def _routed(bootstrap: str, topics: Topics) -> int:
    return sum(sum(end_offsets(bootstrap, topic).values()) for topic in (topics.even, topics.odd))


def _wait_routed_beyond(bootstrap: str, topics: Topics, count: int, router: Router, timeout_s: float) -> float:
    """Seconds until the outputs hold more than `count` records."""
    started = time.monotonic()
    router.wait_until(f"more than {count} records routed", lambda: _routed(bootstrap, topics) > count, timeout_s)
    return time.monotonic() - started


def _assert_nothing_lost(bootstrap: str, topics: Topics, count: int) -> None:
    routed = collections.Counter(r.value for t in (topics.even, topics.odd) for r in read_all(bootstrap, t))
    missing = {expected(i) for i in range(count)} - routed.keys()
    assert not missing, f"{len(missing)} records lost, e.g. {sorted(missing)[:3]}"


@pytest.mark.parametrize("static", [True, False], ids=["static", "dynamic"])
def test_after_sigkill_and_an_immediate_restart_the_next_record_is_routed_within_10s_with_static_membership(
    bootstrap: str,
    routers: Callable[..., Router],
    static: bool,
    kafka_client: str,
    record_property: Callable[[str, object], None],
) -> None:
    topics = Topics.fresh("static" if static else "dynamic")
    create_topic(bootstrap, topics.input, partitions=PARTITIONS)
    count = RATE * (30 if static else 80)  # still loading when the restarted instance routes again
    loading = _paced_load(bootstrap, topics.input, count)
    extra = () if static else ("--router.kafka.static-membership=false",)
    first = routers(topics, 0, kafka_client, *extra)
    first.wait_ready()
    _wait_routed_beyond(bootstrap, topics, RATE, first, 60)
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    killed = time.monotonic()
    routed_at_kill = _routed(bootstrap, topics)
    second = routers(topics, 0, kafka_client, *extra)
    # Without static membership the group waits for the dead member's session (45 s by default).
    _wait_routed_beyond(bootstrap, topics, routed_at_kill, second, 10 if static else 90)
    seconds = time.monotonic() - killed
    record_property("restart_seconds", round(seconds, 1))
    kind = "static" if static else "dynamic"
    print(f"\n{kafka_client}, {kind} membership: next record routed {seconds:.1f} s after SIGKILL")
    if static:
        assert "Static membership on: group.instance.id=python-router-0 (from environment INSTANCE_INDEX)" in (
            second.text()
        )
    else:
        assert "Static membership off: router.kafka.static-membership=false" in second.text()
    assert loading.result(timeout=120) == count
    second.wait_until("all routed", lambda: _routed(bootstrap, topics) >= count, 120)
    assert second.stop() == 0
    _assert_nothing_lost(bootstrap, topics, count)


def _assignment(router: Router) -> list[str]:
    consumer: dict[str, list[str]] = router.get("/actuator/health").json()["components"]["consumer"]["details"]
    return consumer["assignment"]


def test_two_instances_with_different_indexes_share_the_partitions(
    bootstrap: str, routers: Callable[..., Router], kafka_client: str
) -> None:
    topics = Topics.fresh("two-static")
    create_topic(bootstrap, topics.input, partitions=PARTITIONS)
    first, second = routers(topics, 0, kafka_client), routers(topics, 1, kafka_client)
    for router in (first, second):
        router.wait_until("one partition of two", lambda r=router: len(_assignment(r)) == 1, 90)  # type: ignore[misc]
    assert sorted(_assignment(first) + _assignment(second)) == [f"{topics.input}-0", f"{topics.input}-1"]
    count = 2_000
    produce(bootstrap, topics.input, ((f"k{i % 10}".encode(), timestamp(i)) for i in range(count)))
    first.wait_until("all routed", lambda: _routed(bootstrap, topics) >= count, 90)
    assert first.stop() == 0 and second.stop() == 0
    _assert_nothing_lost(bootstrap, topics, count)


def test_the_same_index_twice_the_older_instance_is_fenced_and_exits_saying_why(
    bootstrap: str, routers: Callable[..., Router], kafka_client: str
) -> None:
    topics = Topics.fresh("twin-static")
    create_topic(bootstrap, topics.input, partitions=PARTITIONS)
    count = RATE * 40
    loading = _paced_load(bootstrap, topics.input, count)
    older = routers(topics, 0, kafka_client)
    older.wait_ready()
    _wait_routed_beyond(bootstrap, topics, RATE, older, 60)
    newer = routers(topics, 0, kafka_client)
    newer.wait_ready()
    deadline = time.monotonic() + 60
    while older.alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert older.process.poll() == 1, f"the older instance is still running:\n{older.tail()}"
    fenced = [line for line in older.text().splitlines() if "Fenced:" in line]
    assert fenced, older.tail()
    assert "group.instance.id" in fenced[0]
    assert "give each its own spring.cloud.stream.instanceIndex" in fenced[0]
    print("\nThe older instance's last word:", fenced[0])
    assert loading.result(timeout=120) == count
    newer.wait_until("all routed", lambda: _routed(bootstrap, topics) >= count, 120)
    assert newer.stop() == 0
    _assert_nothing_lost(bootstrap, topics, count)
