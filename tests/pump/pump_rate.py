"""Routed records per second of the pump on a pre-loaded 100,000-record input, in-process and through the
sidecar (remote mode), each pump in its own process as in production. Prints one line per mode, and JSON.

    .venv/bin/python tests/pump/pump_rate.py [--bootstrap 127.0.0.1:9092] [--records 100000]

Without --bootstrap it starts a broker of its own (scripts/local_kafka.py). The clock runs from the pump's
first assignment (group joined) to the commit of the last record.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from kafka import KafkaConsumer
from kafka.structs import TopicPartition

from scripts.local_kafka import LocalKafka, free_port
from tests.pump.kafka_tools import PumpProcess, Topics, create_topic, load_timestamps

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def broker(bootstrap: str | None) -> Iterator[str]:
    if bootstrap:
        yield bootstrap
        return
    with tempfile.TemporaryDirectory() as state:
        kafka = LocalKafka(state_dir=Path(state), port=free_port(), die_with_parent=True)
        kafka.start()
        try:
            yield kafka.bootstrap
        finally:
            kafka.stop()


@contextlib.contextmanager
def sidecar(topics: Topics, log_dir: Path) -> Iterator[str]:
    port = free_port()
    log = (log_dir / "sidecar.log").open("wb")
    topic_args = ["--input", topics.input, "--even", topics.even, "--odd", topics.odd]
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests/pump/run_sidecar.py"), "--port", str(port), *topic_args],
        stderr=log,
        stdout=log,
    )
    try:
        wait_for_port(port, 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def wait_for_port(port: int, timeout: float) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"Nothing listens on port {port} after {timeout}s")


def measure(bootstrap: str, records: int, mode: str, log_dir: Path) -> dict[str, object]:
    topics = Topics.fresh(f"rate-{mode}")
    create_topic(bootstrap, topics.input)
    load_timestamps(bootstrap, topics.input, records)
    with contextlib.ExitStack() as stack:
        extra: list[str] = []
        if mode == "remote":
            extra = ["--router-url", stack.enter_context(sidecar(topics, log_dir))]
        pump = PumpProcess(bootstrap, topics, log_dir, *extra)
        try:
            pump.wait_for_log("Assigned", 60)
            started = time.monotonic()
            watcher = KafkaConsumer(bootstrap_servers=bootstrap, group_id=topics.group, enable_auto_commit=False)
            tp = TopicPartition(topics.input, 0)
            while (watcher.committed(tp) or 0) < records:
                if time.monotonic() - started > 600:
                    raise RuntimeError(f"{mode}: not done after 600s; log:\n{pump.log()}")
                time.sleep(0.05)
            seconds = time.monotonic() - started
            watcher.close(autocommit=False)
        finally:
            pump.stop(60)
    return {"mode": mode, "records": records, "seconds": round(seconds, 2), "records_per_s": round(records / seconds)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--modes", default="in-process,remote")
    args = parser.parse_args(argv)
    results = []
    with broker(args.bootstrap) as bootstrap, tempfile.TemporaryDirectory() as logs:
        for mode in args.modes.split(","):
            result = measure(bootstrap, args.records, mode, Path(logs))
            print(f"{mode}: {result['records_per_s']} records/s ({args.records} records in {result['seconds']}s)")
            results.append(result)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
