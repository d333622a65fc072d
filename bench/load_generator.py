"""A fixed-rate producer in its own process: record `seq` is sent at start + seq/rate, its send time kept.

    python -m bench.load_generator --bootstrap B --topic T --rate 1000 --seconds 15 --send-times out.bin

Values are the recipe payload for seq 0, 1, 2, ... (all distinct), so a routed record's value says which send
it came from. The wall-clock send times (nanoseconds, native int64, indexed by seq) go to `--send-times`; one
JSON object (records, seconds, achieved_per_s, late_max_ms) to stdout. When the producer falls behind the
schedule it sends without sleeping until it has caught up, so the offered rate holds on average.
"""

from __future__ import annotations

import argparse
import json
import time
from array import array
from pathlib import Path

from kafka import KafkaProducer

from bench.workload import PAYLOADS


def generate(
    bootstrap: str, topic: str, rate: float, seconds: float, payload: str, send_times: Path
) -> dict[str, float]:
    count = int(rate * seconds)
    values = list(PAYLOADS[payload].values(count))
    sent = array("q", bytes(8 * count))
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        producer.partitions_for(topic)  # metadata before the first due time
        interval_ns = 1e9 / rate
        late_max_ns = 0
        start = time.perf_counter_ns()
        for seq, value in enumerate(values):
            due = start + int(seq * interval_ns)
            now = time.perf_counter_ns()
            if now < due:
                time.sleep((due - now) / 1e9)
            else:
                late_max_ns = max(late_max_ns, now - due)
            sent[seq] = time.time_ns()
            producer.send(topic, value)
        elapsed = (time.perf_counter_ns() - start) / 1e9
        producer.flush()
    finally:
        producer.close()
    send_times.write_bytes(sent.tobytes())
    return {"records": count, "seconds": elapsed, "achieved_per_s": count / elapsed, "late_max_ms": late_max_ns / 1e6}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load_generator", description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--rate", type=float, required=True, help="records per second")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--payload", choices=sorted(PAYLOADS), default="recipe")
    parser.add_argument("--send-times", type=Path, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(generate(args.bootstrap, args.topic, args.rate, args.seconds, args.payload, args.send_times)))


if __name__ == "__main__":
    main()
