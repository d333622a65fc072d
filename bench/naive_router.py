"""The baseline: a router in the shape of the SCDF recipe's script, run as its own process by the bench.

    python -m bench.naive_router --bootstrap 127.0.0.1:9092 --input timeDest --even evenDest --odd oddDest --group g

Kept as the recipe has it: the KafkaConsumer iterator, one `producer.send` per record, kafka-python's default
settings, no flush, no commit of its own. Changed only so it can be measured, as docs/benchmarks.md lists:
a group id (auto-commit, kafka-python's default), `auto_offset_reset="earliest"` (the bench pre-loads the
input topic), no topic creation or Flask actuator (the bench creates the topics), and "Odd timestamp: " with a
space so that both routers write the same bytes. It stops only when killed, as the recipe's does.
"""

from __future__ import annotations

import argparse

from kafka import KafkaConsumer, KafkaProducer

EVEN_PREFIX = b"Even timestamp: "
ODD_PREFIX = b"Odd timestamp: "


def is_even_timestamp(value: bytes) -> bool:
    # The recipe's rule: the parity of the last character, which must be a digit (else ValueError, a crash).
    return int(value[-1:]) % 2 == 0


def route_forever(bootstrap: str, input_topic: str, even_topic: str, odd_topic: str, group: str) -> None:
    consumer = KafkaConsumer(input_topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest")
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for message in consumer:
        if message.value is not None:
            if is_even_timestamp(message.value):
                producer.send(even_topic, EVEN_PREFIX + message.value)
            else:
                producer.send(odd_topic, ODD_PREFIX + message.value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.naive_router", description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True, help="host:port of a broker")
    parser.add_argument("--input", required=True, help="topic to read timestamps from")
    parser.add_argument("--even", required=True, help="topic for even timestamps")
    parser.add_argument("--odd", required=True, help="topic for odd timestamps")
    parser.add_argument("--group", required=True, help="consumer group id")
    args = parser.parse_args(argv)
    route_forever(args.bootstrap, args.input, args.even, args.odd, args.group)


if __name__ == "__main__":
    main()
