"""One Kafka client alone, in its own process: how fast kafka-python or confluent-kafka (librdkafka) only
consumes or only produces the bench's records, and (librdkafka) how fast a minimal at-least-once route loop is.

    python -m bench.client_ceiling consume --bootstrap B --topic T --count N
    python -m bench.client_ceiling produce --bootstrap B --topic T --count N --payload recipe
    python -m bench.client_ceiling consume --client librdkafka --bootstrap B --topic T --count N
    python -m bench.client_ceiling route --client librdkafka --bootstrap B --topic T --count N

kafka-python with its default settings, as the routers have them; librdkafka as measured for issue 11
(produce: linger.ms=5, idempotent, acks=all, poll(0) per record; consume: consume(num_messages=2000)). The
route loop consumes up to 2,000 records, routes each by its last byte to `<T>.even` or `<T>.odd`, produces
them, flushes, checks every delivery and commits synchronously. Prints one JSON object: records, seconds,
records_per_s, cpu_seconds and peak_rss_mib over the timed window (for consume and route, from the first
fetched batch on, as the routers are clocked from their first output).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from typing import Any

import confluent_kafka
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


# --- librdkafka (confluent-kafka) --------------------------------------------------------------------

BATCH = 2000
RD_PRODUCER = {"linger.ms": 5, "enable.idempotence": True, "acks": "all"}


def rd_consumer(bootstrap: str, topic: str, name: str) -> Any:
    consumer = confluent_kafka.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-{name}-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            # As the pump's librdkafka default (pump/config.py): librdkafka's own 1 s backoff, once 100,000
            # records are queued, holds small-record consumption to about a tenth of what it can do.
            "fetch.queue.backoff.ms": 10,
        }
    )
    consumer.subscribe([topic])
    return consumer


def rd_consume(bootstrap: str, topic: str, count: int) -> dict[str, float]:
    consumer = rd_consumer(bootstrap, topic, "rd-consume")
    try:
        seen = size = 0
        while seen == 0:
            seen += len(consumer.consume(BATCH, 1.0))
        started, cpu_before, first = time.monotonic(), cost([os.getpid()]).cpu_seconds, seen
        while seen < count:
            # Never more than is left: consume() waits out its timeout for a batch it cannot fill.
            messages = consumer.consume(min(BATCH, count - seen), 1.0)
            for message in messages:
                size += len(message.value() or b"")  # touch the value, as any consumer does
            seen += len(messages)
        return _result(seen - first, time.monotonic() - started, cpu_before)
    finally:
        consumer.close()


def rd_produce(bootstrap: str, topic: str, count: int, payload: str) -> dict[str, float]:
    values = list(PAYLOADS[payload].values(count))
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, **RD_PRODUCER})
    producer.produce(topic, values[0])  # connect and fetch metadata outside the clock
    producer.flush(30)
    started, cpu_before = time.monotonic(), cost([os.getpid()]).cpu_seconds
    for value in values:
        _produce(producer, topic, value)
        producer.poll(0)
    producer.flush()
    return _result(count, time.monotonic() - started, cpu_before)


def rd_route(bootstrap: str, topic: str, count: int) -> dict[str, float]:
    """The minimal at-least-once loop: nothing is committed before every record of its batch is delivered."""
    consumer = rd_consumer(bootstrap, topic, "rd-route")
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, **RD_PRODUCER})
    even, odd = f"{topic}.even", f"{topic}.odd"
    failed: list[Any] = []

    def delivered(error: Any, message: Any) -> None:
        if error is not None:
            failed.append(error)

    try:
        routed, started, cpu_before = 0, 0.0, 0.0
        while routed < count:
            messages = consumer.consume(min(BATCH, count - routed), 1.0)
            if not messages:
                continue
            if not routed:
                started, cpu_before = time.monotonic(), cost([os.getpid()]).cpu_seconds
            for message in messages:
                value = message.value()
                _produce(producer, odd if value[-1] % 2 else even, value, message.key(), delivered)
            producer.flush()
            if failed:
                raise RuntimeError(f"{len(failed)} record(s) not delivered, e.g. {failed[0]}")
            consumer.commit(asynchronous=False)
            routed += len(messages)
        return _result(routed, time.monotonic() - started, cpu_before)
    finally:
        consumer.close()


def _produce(producer: Any, topic: str, value: bytes, key: bytes | None = None, on_delivery: Any = None) -> None:
    while True:
        try:
            producer.produce(topic, value, key, on_delivery=on_delivery)
            return
        except BufferError:  # librdkafka's queue is full: let it deliver some
            producer.poll(0.05)


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
    parser.add_argument("mode", choices=("consume", "produce", "route"))
    parser.add_argument("--client", choices=("kafka-python", "librdkafka"), default="kafka-python")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--payload", choices=sorted(PAYLOADS), default="recipe")
    args = parser.parse_args(argv)
    if args.client == "librdkafka":
        if args.mode == "consume":
            result = rd_consume(args.bootstrap, args.topic, args.count)
        elif args.mode == "produce":
            result = rd_produce(args.bootstrap, args.topic, args.count, args.payload)
        else:
            result = rd_route(args.bootstrap, args.topic, args.count)
    elif args.mode == "consume":
        result = consume(args.bootstrap, args.topic, args.count)
    elif args.mode == "produce":
        result = produce(args.bootstrap, args.topic, args.count, args.payload)
    else:
        parser.error("the route loop is measured on librdkafka only: add --client librdkafka")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
