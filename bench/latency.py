"""End-to-end latency at a fixed offered load: from the generator's send to the routed record's arrival in Kafka.

Arrival is the broker's LogAppendTime on the even/odd topic (millisecond resolution), read after the trial,
so no measuring consumer competes for the two cores while it runs.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import uuid
from array import array
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from bench.routers import ROOT, RouterError, start_router
from bench.workload import RECIPE, OffsetWatcher, Topics, create_topics

LOG_APPEND_TIME = 1  # kafka-python's timestamp_type for a broker-stamped record
PRIME_TIMEOUT_S = 90.0
DRAIN_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Latency:
    """Percentiles of one trial, over the records sent after the warm-up."""

    variant: str
    load: str  # "1000/s" or "80% of max"
    offered_per_s: float
    achieved_per_s: float  # what the generator really sent
    routed_per_s: float  # records routed per second of arrivals: below the offered rate, the router fell behind
    records: int
    missing: int  # sent in the measured window but not routed before the drain timeout
    p50_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, object]:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(self).items()}


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(round(p * len(sorted_values) / 100, 9)))  # round: 99.9% of 1000 is 999, not 999.0...01
    return sorted_values[rank - 1]


def measure_latency(
    variant: str,
    bootstrap: str,
    *,
    rate: float,
    load: str,
    warmup_s: float,
    measure_s: float,
    work_dir: Path,
    properties: Sequence[str] = (),
    label: str | None = None,
) -> Latency:
    """Run `variant` on fresh topics, offer `rate` records/s for warm-up plus measurement, and time each record.

    `properties` are extra `--key=value` settings for the pump; `label` names the variant in the report.
    """
    tag = uuid.uuid4().hex[:8]
    topics = Topics.named(f"bench.latency.{variant}.{tag}")
    create_topics(bootstrap, [topics.input, *topics.outputs], log_append_time=topics.outputs)
    send_times = work_dir / f"send-times-{tag}.bin"
    watcher = OffsetWatcher(bootstrap, topics.outputs)
    try:
        group = f"bench-latency-{variant}-{tag}"
        router = start_router(variant, bootstrap, topics, group, work_dir / "logs", properties=properties)
        try:
            _prime(bootstrap, topics, router.check_alive, watcher)
            generated = _generate(bootstrap, topics.input, rate, warmup_s + measure_s, send_times)
            expected = 1 + int(generated["records"])
            deadline = time.monotonic() + DRAIN_TIMEOUT_S
            while watcher.total() < expected and time.monotonic() < deadline:
                router.check_alive()
                time.sleep(0.1)
        finally:
            router.stop()
    finally:
        watcher.close()
    sent = array("q")
    sent.frombytes(send_times.read_bytes())
    send_times.unlink()
    arrivals = _arrivals(bootstrap, topics, len(sent))
    warmup = int(rate * warmup_s)
    latencies = sorted((arrivals[seq] - sent[seq] / 1e6) for seq in range(warmup, len(sent)) if seq in arrivals)
    span_s = (max(arrivals.values()) - min(arrivals.values())) / 1000 if len(arrivals) > 1 else 0.0
    return Latency(
        variant=label or variant,
        load=load,
        offered_per_s=rate,
        achieved_per_s=float(generated["achieved_per_s"]),
        routed_per_s=(len(arrivals) - 1) / span_s if span_s > 0 else math.nan,
        records=len(latencies),
        missing=len(sent) - warmup - len(latencies),
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        p999_ms=percentile(latencies, 99.9),
        max_ms=latencies[-1] if latencies else math.nan,
    )


def _prime(bootstrap: str, topics: Topics, check_alive: Callable[[], None], watcher: OffsetWatcher) -> None:
    """Send one record and wait for it to be routed: the router has joined its group and warmed its clients."""
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        producer.send(topics.input, RECIPE.value(-1)).get(timeout=30)
    finally:
        producer.close()
    deadline = time.monotonic() + PRIME_TIMEOUT_S
    while watcher.total() < 1:
        check_alive()
        if time.monotonic() > deadline:
            raise RouterError(f"The router did not route a first record from {topics.input} in {PRIME_TIMEOUT_S:.0f}s.")
        time.sleep(0.05)


def _generate(bootstrap: str, topic: str, rate: float, seconds: float, send_times: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.load_generator", "--bootstrap", bootstrap, "--topic", topic]
    command += ["--rate", str(rate), "--seconds", str(seconds), "--send-times", str(send_times)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"The load generator failed with code {result.returncode}:\n{result.stderr[-2000:]}")
    parsed: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return parsed


def _arrivals(bootstrap: str, topics: Topics, count: int) -> dict[int, float]:
    """Each routed record's LogAppendTime (ms), by the seq of the input value it carries."""
    seq_of = {RECIPE.value(seq): seq for seq in range(count)}
    partitions = [TopicPartition(t, 0) for t in topics.outputs]
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=5000)
    try:
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        arrivals: dict[int, float] = {}
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    if record.timestamp_type != LOG_APPEND_TIME:
                        raise RuntimeError(
                            f"{record.topic} is not stamped with LogAppendTime, so arrival cannot be read: "
                            "the bench creates its latency topics itself; delete stale ones and run again."
                        )
                    seq = seq_of.get(record.value.split(b": ", 1)[-1])
                    if seq is not None:  # the priming record has none
                        arrivals[seq] = float(record.timestamp)
        return arrivals
    finally:
        consumer.close()
