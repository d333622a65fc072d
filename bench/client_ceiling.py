"""kafka-python alone, in its own process: how fast it only consumes, or only produces, the bench's records.

    python -m bench.client_ceiling consume --bootstrap B --topic T --count N
    python -m bench.client_ceiling produce --bootstrap B --topic T --count N --payload recipe

Default client settings, as the routers have them. Prints one JSON object: records, seconds, records_per_s,
cpu_seconds and peak_rss_mib over the timed window (for consume, from the first fetched batch on, as the
routers are clocked from their first output).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid

from kafka import KafkaConsumer, KafkaProducer

from bench.process_cost import cost
from bench.workload import PAYLOADS


def consume(bootstrap: str, topic: str, count: int) -> dict[str, float]:
    group = f"bench-consume-{uuid.uuid4().hex[:8]}"
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest")
    try:
        seen = size = 0
        while seen == 0:
            for records in consumer.poll(timeout_ms=1000).values():
                seen += len(records)
        started, cpu_before, first = time.monotonic(), cost([os.getpid()]).cpu_seconds, seen
        while seen < count:
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    size += len(record.value)  # touch the value, as any consumer does
                seen += len(records)
        return _result(seen - first, time.monotonic() - started, cpu_before)
    finally:
        consumer.close()


def produce(bootstrap: str, topic: str, count: int, payload: str) -> dict[str, float]:
    values = list(PAYLOADS[payload].values(count))
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        producer.send(topic, values[0]).get(timeout=30)  # connect and fetch metadata outside the clock
        started, cpu_before = time.monotonic(), cost([os.getpid()]).cpu_seconds
        for value in values:
            producer.send(topic, value)
        producer.flush()
        return _result(count, time.monotonic() - started, cpu_before)
    finally:
        producer.close()


def _result(records: int, seconds: float, cpu_before: float) -> dict[str, float]:
    after = cost([os.getpid()])
    return {
        "records": records,
        "seconds": seconds,
        "records_per_s": records / seconds,
        "cpu_seconds": after.cpu_seconds - cpu_before,
        "peak_rss_mib": after.peak_rss_mib,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.client_ceiling", description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("consume", "produce"))
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--payload", choices=sorted(PAYLOADS), default="recipe")
    args = parser.parse_args(argv)
    if args.mode == "consume":
        result = consume(args.bootstrap, args.topic, args.count)
    else:
        result = produce(args.bootstrap, args.topic, args.count, args.payload)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
