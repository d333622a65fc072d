"""The recipe's whole pipeline, time || python-router || evenLogger: log || oddLogger: log, on the real broker.

python-router is started exactly as SCDF's deployers start it for the recipe's deployment properties, in each
entry-point style. The time source and log sinks are SCDF's own jars when Maven Central serves them, else the
Python stand-ins (the test output says which: `-rP` shows it).
"""

from __future__ import annotations

import re
import time

import pytest

from scripts.demo import running_pipeline
from scripts.local_kafka import LocalKafka
from scripts.scdf_deployer import EntryPointStyle

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

LOGGED = re.compile(r"log-sink\s*: (Even|Odd) timestamp: ?(\d\d/\d\d/\d\d \d\d:\d\d:(\d\d))$")
WANTED_EACH = 5
DEADLINE_S = 90


def routed(lines: list[str]) -> list[tuple[str, str, int]]:
    """(kind, timestamp, seconds) for each routed line a logger printed."""
    return [(m.group(1), m.group(2), int(m.group(3))) for line in lines if (m := LOGGED.search(line))]


@pytest.mark.parametrize("style", ["exec", "shell", "boot", "local"])
def test_even_and_odd_loggers_print_only_their_timestamps(kafka_broker: LocalKafka, style: EntryPointStyle) -> None:
    with running_pipeline(kafka_broker, style=style) as pipeline:
        print(pipeline.apps_note)
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            even, odd = routed(pipeline.lines["evenLogger"]), routed(pipeline.lines["oddLogger"])
            if len(even) >= WANTED_EACH and len(odd) >= WANTED_EACH:
                break
            dead = {name: p.returncode for name, p in pipeline.processes.items() if p.poll() is not None}
            assert not dead, f"apps exited early {dead}; python-router said:\n" + "\n".join(
                pipeline.lines["python-router"][-20:]
            )
            time.sleep(0.5)
        router_log = "\n".join(pipeline.lines["python-router"][-20:])
    assert len(even) >= WANTED_EACH and len(odd) >= WANTED_EACH, f"too few routed lines in {DEADLINE_S}s:\n{router_log}"
    assert all(kind == "Even" and seconds % 2 == 0 for kind, _, seconds in even), even
    assert all(kind == "Odd" and seconds % 2 == 1 for kind, _, seconds in odd), odd
    # Every second the source produced while both loggers listened is logged once, by one of them.
    seen = sorted(stamp for _, stamp, _ in even + odd)
    assert len(seen) == len(set(seen)), "a timestamp was logged twice"
    # python-router drained and stopped on the one SIGTERM it got.
    assert pipeline.processes["python-router"].returncode == 0, router_log
