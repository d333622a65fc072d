"""python-router against Spring Cloud Stream's real Kafka binder, both ways (stream-apps/, one JVM per module).

Spring side: the time source and a keyed producer write python-router's input; Spring consumers (byte[] and
String) read its output; a header-dumping consumer reads its output and its dead letters. Each Spring consumer
has a group that starts at the earliest offset, so none misses what was written before it was assigned.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from kafka import KafkaProducer

from scripts.local_kafka import LocalKafka, _die_with_parent, free_port
from scripts.stream_apps import FUNCTION, jvm_command
from tests.pump.kafka_tools import read_all

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

ROUTER = Path(sys.executable).parent / "python-router"
FIRST_TIMESTAMP_MS = 1_600_000_000_000  # InteropProbes.keyed: record n has this + n seconds
RECIPE_TEXT = re.compile(rb"^(Even|Odd) timestamp: \d\d/\d\d/\d\d \d\d:\d\d:(\d\d)$")
WAIT_S = 90


@dataclass
class Process:
    """A process whose stdout and stderr go to one file, read by the assertions."""

    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, what: str, found: Callable[[str], bool]) -> str:
        deadline = time.monotonic() + WAIT_S
        while not found(text := self.text()):
            assert self.process.poll() is None, (
                f"{self.process.args!r} exited while waiting for {what}:\n{text[-3000:]}"
            )
            assert time.monotonic() < deadline, f"no {what} within {WAIT_S}s; the log ends:\n{text[-3000:]}"
            time.sleep(0.5)
        return text

    def stop(self) -> int:
        self.process.terminate()
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def spawn(command: list[str], log: Path) -> Process:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={k: v for k, v in os.environ.items() if not k.startswith("SPRING_")} | {"PYTHONUNBUFFERED": "1"},
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    return Process(process, log)


@dataclass(frozen=True)
class Topics:
    tag: str

    def __getattr__(self, name: str) -> str:  # topics.time_even -> "<tag>.time.even"
        return f"{self.tag}.{name.replace('_', '.')}"


@dataclass
class Interop:
    topics: Topics
    spring: Process
    routers: dict[str, Process]


def python_router(bootstrap: str, input_topic: str, log: Path) -> Process:
    """python-router in SCDF's exec style on `input_topic`, routing to `<input>.even` / `<input>.odd`; its chain
    (connect-config/router.properties) dead-letters what it cannot route to `<input>.dlq`."""
    arguments = [
        f"--spring.cloud.stream.bindings.input.destination={input_topic}",
        f"--spring.cloud.stream.bindings.input.group={input_topic}.router",
        "--spring.cloud.stream.kafka.bindings.input.consumer.startOffset=earliest",
        f"--spring.cloud.stream.bindings.even.destination={input_topic}.even",
        f"--spring.cloud.stream.bindings.odd.destination={input_topic}.odd",
        f"--spring.cloud.stream.kafka.binder.brokers={bootstrap}",
        "--server.address=127.0.0.1",
        f"--server.port={free_port()}",
    ]
    return spawn([str(ROUTER), *arguments], log)


@pytest.fixture(scope="module")
def interop(
    kafka_broker: LocalKafka, stream_apps_jar: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Interop]:
    topics = Topics(f"interop-{uuid.uuid4().hex[:8]}")
    logs = tmp_path_factory.mktemp("interop")
    brokers = {"spring.cloud.stream.kafka.binder.brokers": kafka_broker.bootstrap}

    def consumer(function: str, topic: str, **extra: str) -> dict[str, str]:
        return {
            FUNCTION: function,
            "spring.cloud.stream.bindings.input.destination": topic,
            "spring.cloud.stream.bindings.input.group": f"{topic}.{function}",
            "spring.cloud.stream.kafka.bindings.input.consumer.startOffset": "earliest",
            **brokers,
            **extra,
        }

    apps = [
        consumer("log", topics.time_even, **{"log.name": "springBytes"}),
        consumer("text", topics.time_odd),
        consumer("headers", topics.time_even),
        consumer("headers", topics.keyed_dlq),
        {FUNCTION: "time", "spring.cloud.stream.bindings.output.destination": topics.time,
         **brokers},
        {FUNCTION: "keyed", "spring.cloud.stream.bindings.output.destination": topics.keyed,
         **brokers},
    ]  # fmt: skip
    spring = spawn(jvm_command(apps), logs / "spring.log")
    routers: dict[str, Process] = {}
    try:
        spring.wait_for("start of the Spring apps", lambda text: text.count(": Running ") == len(apps))
        for topic in (topics.time, topics.keyed):
            routers[topic] = python_router(kafka_broker.bootstrap, topic, logs / f"{topic}.router.log")
        yield Interop(topics, spring, routers)
    finally:
        for process in [*routers.values(), spring]:
            process.stop()


def test_spring_consumers_read_python_routers_output_as_text(interop: Interop, bootstrap: str) -> None:
    even_topic = interop.topics.time_even
    spring = interop.spring.wait_for(
        "routed lines read by the byte[] log sink, the String consumer and the header dump",
        lambda text: (
            len(re.findall(r"springBytes\s+: Even timestamp: ", text)) >= 3
            and len(re.findall(r"interop\s+: text: Odd timestamp: ", text)) >= 3
            and f"kafka_receivedTopic={even_topic}" in text
        ),
    )
    # The byte[] sink logs text, not bytes, because of the contentType python-router writes.
    assert re.search(r"springBytes\s+: Even timestamp: \d\d/\d\d/\d\d \d\d:\d\d:\d[02468]$", spring, re.M), spring
    assert re.search(r"interop\s+: text: Odd timestamp: \d\d/\d\d/\d\d \d\d:\d\d:\d[13579]$", spring, re.M), spring
    # What python-router wrote: contentType JSON-quoted, listed in spring_json_header_types; Spring reads it
    # as the plain string text/plain.
    written = dict(read_all(bootstrap, even_topic)[0].headers)
    assert written["contentType"] == b'"text/plain"', written
    assert b'"contentType":"java.lang.String"' in written["spring_json_header_types"], written
    dumped = next(line for line in spring.splitlines() if f"kafka_receivedTopic={even_topic}" in line)
    assert "contentType=text/plain" in dumped, dumped


def test_python_router_routes_what_springs_time_source_writes(interop: Interop, bootstrap: str) -> None:
    router = interop.routers[interop.topics.time]
    router.wait_for("routed records", lambda _: len(read_all(bootstrap, interop.topics.time_odd)) >= 3)
    source = read_all(bootstrap, interop.topics.time)
    # Spring's supplier writes the raw text with contentType application/json (not JSON-quoted).
    assert dict(source[0].headers)["contentType"] == b"application/json", source[0].headers
    for topic, kind, parity in ((interop.topics.time_even, b"Even", 0), (interop.topics.time_odd, b"Odd", 1)):
        for record in read_all(bootstrap, topic):
            match = RECIPE_TEXT.match(record.value)
            assert match and match.group(1) == kind and int(match.group(2)) % 2 == parity, record.value
    assert " WARN " not in router.text() and " ERROR " not in router.text(), router.text()


def test_a_key_and_timestamp_set_by_a_spring_producer_survive_python_router(interop: Interop, bootstrap: str) -> None:
    topics = interop.topics
    router = interop.routers[topics.keyed]
    router.wait_for("routed keyed records", lambda _: len(read_all(bootstrap, topics.keyed_even)) >= 3)
    routed = read_all(bootstrap, topics.keyed_even) + read_all(bootstrap, topics.keyed_odd)
    assert len(routed) >= 6
    for record in routed:
        n = int(record.key.removeprefix(b"key-"))
        sent = datetime.fromtimestamp((FIRST_TIMESTAMP_MS + 1000 * n) / 1000, UTC).strftime("%m/%d/%y %H:%M:%S")
        assert record.timestamp == FIRST_TIMESTAMP_MS + 1000 * n, record
        kind = "Even" if n % 2 == 0 else "Odd"
        assert record.value == f"{kind} timestamp: {sent}".encode(), record


def test_python_routers_dead_letters_are_read_by_a_spring_consumer_with_their_headers(
    interop: Interop, bootstrap: str
) -> None:
    topics = interop.topics
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        producer.send(topics.keyed, key=b"bad", value=b"not a timestamp").get(timeout=30)
    finally:
        producer.close()
    spring = interop.spring.wait_for(
        "the dead letter in the Spring header dump", lambda text: f"kafka_receivedTopic={topics.keyed_dlq}" in text
    )
    dumped = next(line for line in spring.splitlines() if f"kafka_receivedTopic={topics.keyed_dlq}" in line)
    assert "headers: payload=not a timestamp " in dumped, dumped
    assert f"__connect.errors.topic={topics.keyed}," in dumped, dumped
    assert "kafka_receivedMessageKey=bad," in dumped, dumped
    for header in ("partition", "offset", "stage", "class.name", "exception.class.name", "exception.message",
                   "exception.stacktrace"):  # fmt: skip
        assert f"__connect.errors.{header}=" in dumped, (header, dumped)
