"""Test-side Kafka chores for the pump's integration tests: load recipe-format timestamps, read a topic to
its end, read a group's committed offsets, and run the pump (tests/pump/run_pump.py) as a process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.structs import TopicPartition

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("run_pump.py")
START = datetime(2019, 5, 17, 17, 56, 36)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def timestamp(i: int) -> bytes:
    """The i-th recipe-format timestamp: `05/17/19 17:56:36` plus i seconds (even i: even seconds)."""
    return (START + timedelta(seconds=i)).strftime("%m/%d/%y %H:%M:%S").encode()


def create_topic(bootstrap: str, topic: str, partitions: int = 1) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics({topic: {"num_partitions": partitions, "replication_factor": 1}}, wait_for_metadata=True)
    finally:
        admin.close()


def produce(bootstrap: str, topic: str, records: Iterable[tuple[bytes | None, bytes | None]]) -> int:
    """Send (key, value) pairs, batched for speed; returns how many."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, batch_size=256 * 1024, max_request_size=2**21)
    count = 0
    try:
        for key, value in records:
            producer.send(topic, value=value, key=key)
            count += 1
        producer.flush(timeout=60)
    finally:
        producer.close()
    return count


def load_timestamps(bootstrap: str, topic: str, count: int, keys: int = 10) -> int:
    return produce(bootstrap, topic, ((f"k{i % keys}".encode(), timestamp(i)) for i in range(count)))


def read_all(bootstrap: str, topic: str, timeout: float = 60.0, *, committed_only: bool = False) -> list[Any]:
    """Every record of `topic` (all partitions, each in offset order), up to its end offsets now; with
    `committed_only`, as a read_committed consumer sees them (no aborted records, up to the open transactions)."""
    isolation = "read_committed" if committed_only else "read_uncommitted"
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, isolation_level=isolation
    )
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise AssertionError(f"Could not read {topic} to its end within {timeout}s")
            for batch in consumer.poll(timeout_ms=500, max_records=5000).values():
                records.extend(batch)
        return records
    finally:
        consumer.close(autocommit=False)


def committed(bootstrap: str, group: str, topic: str) -> dict[int, int | None]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        partitions = sorted(consumer.partitions_for_topic(topic))
        return {p: consumer.committed(TopicPartition(topic, p)) for p in partitions}
    finally:
        consumer.close(autocommit=False)


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close(autocommit=False)


@dataclass
class Topics:
    """One test's topics and group, unique so tests sharing the session broker do not meet."""

    input: str
    even: str
    odd: str
    group: str

    @property
    def dlq(self) -> str:
        return self.input + ".dlq"  # connect-config/router.properties: ${binding:input}.dlq

    @classmethod
    def fresh(cls, name: str) -> Topics:
        tag = uuid.uuid4().hex[:8]
        return cls(f"{name}-in-{tag}", f"{name}-even-{tag}", f"{name}-odd-{tag}", f"{name}-group-{tag}")


class PumpProcess:
    """tests/pump/run_pump.py in a subprocess; its stderr (the log) goes to a file for the failure message."""

    def __init__(
        self,
        bootstrap: str,
        topics: Topics,
        log_dir: Path,
        *extra: str,
        watch_health: bool = False,
        client: str = "kafka-python",
    ) -> None:
        tag = uuid.uuid4().hex[:6]
        self.log_path = log_dir / f"pump-{tag}.log"
        # With watch_health, the pump writes its health components there every 0.2 s (see live_health()).
        self.health_path = log_dir / f"pump-{tag}.health.json"
        self._log = self.log_path.open("wb")
        if watch_health:
            extra = (*extra, "--health-file", str(self.health_path))
        command = [
            sys.executable,
            str(RUNNER),
            "--bootstrap",
            bootstrap,
            "--input",
            topics.input,
            "--even",
            topics.even,
            "--odd",
            topics.odd,
            "--group",
            topics.group,
            "--client",
            client,
            *extra,
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log, env=env, start_new_session=True
        )
        self.stdout = ""

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.wait(10)

    def wait(self, timeout: float) -> int:
        try:
            out, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise AssertionError(f"The pump did not exit within {timeout}s. Its log:\n{self.log()}") from None
        self.stdout = out.decode()
        self._log.close()
        return self.process.returncode

    def health(self) -> dict[str, Any]:
        """The health components it printed on exit."""
        lines = [line for line in self.stdout.splitlines() if line.startswith("{")]
        return json.loads(lines[-1]) if lines else {}

    def live_health(self) -> dict[str, Any]:
        """The health components as the running pump last wrote them (watch_health=True); {} before that."""
        try:
            return json.loads(self.health_path.read_text())  # type: ignore[no-any-return]
        except (OSError, ValueError):
            return {}

    def log(self, lines: int = 60) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log_path.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"The pump never logged {text!r}. Its log:\n{self.log()}")
            time.sleep(0.1)

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.signal(signal.SIGTERM)
        return self.wait(timeout)


def wait_until_consumed(
    bootstrap: str, group: str, topic: str, timeout: float, pump: PumpProcess | None = None
) -> None:
    """Until the group's committed offsets reach the topic's end offsets."""
    end = end_offsets(bootstrap, topic)
    deadline = time.monotonic() + timeout
    while True:
        done = committed(bootstrap, group, topic)
        if all((done.get(p) or 0) >= offset for p, offset in end.items()):
            return
        if time.monotonic() > deadline:
            log = pump.log() if pump is not None else ""
            raise AssertionError(f"Group {group} committed {done} of {end} within {timeout}s.\n{log}")
        time.sleep(0.5)


def values(records: Sequence[Any]) -> list[bytes]:
    return [r.value for r in records]
