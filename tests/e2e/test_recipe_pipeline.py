"""The recipe's whole pipeline, time || python-router || evenLogger: log || oddLogger: log, on the real broker.

The time source and the two log sinks are SCDF's prebuilt apps when Maven serves them, else the project's Spring
Cloud Stream apps (stream-apps/, Spring's Kafka binder) in one JVM, as `make demo` chooses; started once for this
module. python-router is started after it, once per SCDF entry-point
style, exactly as SCDF's deployers start it for the recipe's deployment properties; each run resumes from the
offsets the one before committed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.demo import Pipeline, running_pipeline
from scripts.local_kafka import LocalKafka
from scripts.scdf_deployer import EntryPointStyle

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

TEXT = re.compile(r"^(Even|Odd) timestamp: ?(\d\d/\d\d/\d\d \d\d:\d\d:(\d\d))$")
WANTED_EACH = 5
SPRING_START_S = 90
DEADLINE_S = 90


@pytest.fixture(scope="module")
def pipeline(kafka_broker: LocalKafka, stream_apps_jar: Path) -> Iterator[Pipeline]:
    with running_pipeline(kafka_broker) as pipeline:
        deadline = time.monotonic() + SPRING_START_S
        while pipeline.started() < 3:  # both loggers and the time source
            log = "\n".join(line for name in pipeline.spring for line in pipeline.lines[name][-30:])
            exited = [name for name in pipeline.spring if pipeline.processes[name].poll() is not None]
            assert not exited, f"the Spring apps {exited} exited while starting:\n{log}"
            assert time.monotonic() < deadline, f"the Spring apps did not start in {SPRING_START_S}s:\n{log}"
            time.sleep(0.5)
        yield pipeline


def routed(pipeline: Pipeline, since: dict[str, int]) -> dict[str, list[tuple[str, str, int]]]:
    """Per logger: (kind, timestamp, seconds) for each routed line it logged after the mark `since`."""
    found: dict[str, list[tuple[str, str, int]]] = {"evenLogger": [], "oddLogger": []}
    for logger, text in pipeline.routed(since):
        match = TEXT.match(text)
        assert match, f"{logger} logged {text!r}, not the recipe's text"
        found[logger].append((match.group(1), match.group(2), int(match.group(3))))
    return found


@pytest.mark.parametrize("style", ["exec", "shell", "boot", "local"])
def test_even_and_odd_loggers_print_only_their_timestamps(pipeline: Pipeline, style: EntryPointStyle) -> None:
    since = pipeline.mark()
    pipeline.start_router(style)
    try:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            logged = routed(pipeline, since)
            if len(logged["evenLogger"]) >= WANTED_EACH and len(logged["oddLogger"]) >= WANTED_EACH:
                break
            dead = {name: p.returncode for name, p in pipeline.processes.items() if p.poll() is not None}
            assert not dead, f"apps exited early {dead}; python-router said:\n" + "\n".join(
                pipeline.lines["python-router"][-20:]
            )
            time.sleep(0.5)
    finally:
        pipeline.stop("python-router")
    router_log = "\n".join(pipeline.lines["python-router"][-20:])
    even, odd = logged["evenLogger"], logged["oddLogger"]
    assert len(even) >= WANTED_EACH and len(odd) >= WANTED_EACH, f"too few routed lines in {DEADLINE_S}s:\n{router_log}"
    assert all(kind == "Even" and seconds % 2 == 0 for kind, _, seconds in even), even
    assert all(kind == "Odd" and seconds % 2 == 1 for kind, _, seconds in odd), odd
    # Each timestamp is logged once, by one logger: also the ones this run resumed from the last one's offsets.
    seen = sorted(stamp for _, stamp, _ in even + odd)
    assert len(seen) == len(set(seen)), "a timestamp was logged twice"
    # python-router drained and stopped on the one SIGTERM it got.
    assert pipeline.processes["python-router"].returncode == 0, router_log
