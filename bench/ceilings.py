"""The ceilings: kafka-python and librdkafka (confluent-kafka) consume-only and produce-only, librdkafka's minimal
at-least-once route loop, and Kafka's own ProducerPerformance and ConsumerPerformance."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

from bench.throughput import Trial
from bench.workload import Payload
from scripts.local_kafka import LIBS

ROOT = Path(__file__).resolve().parent.parent
CEILINGS = ("kp-consume", "kp-produce", "rd-consume", "rd-produce", "rd-route", "java-produce", "java-consume")
# What the route ceiling writes, beside the routers' own outputs.
ROUTE_OUTPUTS = (".even", ".odd")
JAVA_HEAP = "-Xmx256m"  # the tools share two cores and the machine with the broker
TIMEOUT_S = 600.0


class CeilingError(RuntimeError):
    """A ceiling tool failed; the message quotes its output."""


def measure_ceiling(
    name: str, bootstrap: str, input_topic: str, scratch_topic: str, payload: Payload, count: int, work_dir: Path
) -> Trial:
    """Measure ceiling `name`: consumers read `input_topic` (the routers' records), producers write `scratch_topic`."""
    if name == "kp-consume":
        return _client("consume", bootstrap, input_topic, count, payload)
    if name == "kp-produce":
        return _client("produce", bootstrap, scratch_topic, count, payload)
    if name == "rd-consume":
        return _client("consume", bootstrap, input_topic, count, payload, "librdkafka")
    if name == "rd-produce":
        return _client("produce", bootstrap, scratch_topic, count, payload, "librdkafka")
    if name == "rd-route":  # reads the routers' records, writes <input>.even and <input>.odd
        return _client("route", bootstrap, input_topic, count, payload, "librdkafka")
    if name == "java-produce":
        return _java_produce(bootstrap, scratch_topic, payload, count, work_dir)
    if name == "java-consume":
        return _java_consume(bootstrap, input_topic, count)
    raise ValueError(f"Unknown ceiling {name!r}: choose one of {', '.join(CEILINGS)}.")


def _run(command: list[str]) -> str:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    if result.returncode != 0:
        raise CeilingError(
            f"`{' '.join(command)}` failed with code {result.returncode}:\n{(result.stdout + result.stderr)[-2000:]}"
        )
    return result.stdout


def _client(mode: str, bootstrap: str, topic: str, count: int, payload: Payload, client: str = "kafka-python") -> Trial:
    command = [sys.executable, "-m", "bench.client_ceiling", mode, "--client", client, "--bootstrap", bootstrap]
    command += ["--topic", topic]
    out = _run([*command, "--count", str(count), "--payload", payload.name])
    result = json.loads(out.strip().splitlines()[-1])
    records = int(result["records"])
    return Trial(
        records_per_s=float(result["records_per_s"]),
        cpu_s_per_million=float(result["cpu_seconds"]) / records * 1e6,
        peak_rss_mib=float(result["peak_rss_mib"]),
        seconds=float(result["seconds"]),
        records=records,
    )


def _java(main: str, *args: str) -> list[str]:
    return ["java", JAVA_HEAP, "-cp", f"{LIBS}/*", main, *args]


# "100000 records sent, 81234.5 records/sec (1.32 MB/sec), 12.3 ms avg latency, ..."
_PRODUCER_SUMMARY = re.compile(r"(\d+) records sent, ([\d.]+) records/sec")


def _java_produce(bootstrap: str, topic: str, payload: Payload, count: int, work_dir: Path) -> Trial:
    # The tool picks each record's value at random from this file, one value per line.
    payload_file = work_dir / f"payload-{payload.name}.txt"
    payload_file.parent.mkdir(parents=True, exist_ok=True)
    payload_file.write_bytes(b"\n".join(payload.values(min(count, 10_000))))
    out = _run(_java(
        "org.apache.kafka.tools.ProducerPerformance", "--bootstrap-server", bootstrap, "--topic", topic,
        "--num-records", str(count), "--payload-file", str(payload_file), "--throughput", "-1",
    ))  # fmt: skip
    summaries = _PRODUCER_SUMMARY.findall(out)
    if not summaries:
        raise CeilingError(f"ProducerPerformance printed no summary line:\n{out[-2000:]}")
    sent, rate = int(summaries[-1][0]), float(summaries[-1][1])
    return Trial(records_per_s=rate, cpu_s_per_million=None, peak_rss_mib=None, seconds=sent / rate, records=sent)


def _java_consume(bootstrap: str, topic: str, count: int) -> Trial:
    out = _run(_java(
        "org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", bootstrap, "--topic", topic,
        "--num-records", str(count), "--group", f"bench-java-consume-{uuid.uuid4().hex[:8]}", "--timeout", "60000",
    ))  # fmt: skip
    # A header line of comma-separated names, then one line of values; the fetch.* columns leave out the join.
    lines = [line for line in out.splitlines() if "," in line]
    header = next((i for i, line in enumerate(lines) if "fetch.nMsg.sec" in line), None)
    if header is None or header + 1 >= len(lines):
        raise CeilingError(f"ConsumerPerformance printed no statistics:\n{out[-2000:]}")
    row = dict(zip((c.strip() for c in lines[header].split(",")), (v.strip() for v in lines[header + 1].split(",")),
                   strict=False))  # fmt: skip
    rate, fetch_ms = float(row["fetch.nMsg.sec"]), float(row["fetch.time.ms"])
    return Trial(
        records_per_s=rate,
        cpu_s_per_million=None,
        peak_rss_mib=None,
        seconds=fetch_ms / 1000,
        records=int(float(row["data.consumed.in.nMsg"])),
    )
