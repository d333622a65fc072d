"""Small Python stand-ins for SCDF's `time-source-kafka` and `log-sink-kafka`, used when their jars cannot be fetched.

They take the same `--key=value` properties as the real apps and behave as the recipe needs them to:

    python scripts/scdf_standins.py time --spring.cloud.stream.bindings.output.destination=timeDest \\
        --spring.cloud.stream.kafka.binder.brokers=127.0.0.1:9092
    python scripts/scdf_standins.py log --spring.cloud.stream.bindings.input.destination=evenDest \\
        --log.name=evenLogger --spring.cloud.stream.kafka.binder.brokers=127.0.0.1:9092

time: one `MM/dd/yy HH:mm:ss` timestamp a second (`time.date-format`, `trigger.fixed-delay` in seconds), as UTF-8
text with Spring's JSON-typed `contentType` header, like the real time source.
log: prints each payload as a Spring Boot log line, `<date> INFO <pid> --- [<log.name>] log-sink : <payload>`.
"""

from __future__ import annotations

import datetime
import os
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import TopicAlreadyExistsError

SPRING_JSON_HEADERS = [
    ("contentType", b'"text/plain"'),
    ("spring_json_header_types", b'{"contentType":"java.lang.String"}'),
]

_stopping = False


def _stop(signum: int, frame: FrameType | None) -> None:
    global _stopping
    _stopping = True


def _properties(argv: Sequence[str]) -> dict[str, str]:
    props: dict[str, str] = {}
    for arg in argv:
        if not arg.startswith("--") or "=" not in arg:
            raise SystemExit(f"stand-in: argument {arg!r} is not of the form --key=value")
        key, value = arg[2:].split("=", 1)
        props[key] = value
    return props


def _brokers(props: dict[str, str]) -> list[str]:
    raw = props.get("spring.cloud.stream.kafka.binder.brokers", "localhost:9092")
    return [b.split("://", 1)[-1] for b in raw.split(",") if b]


def _ensure_topic(brokers: list[str], topic: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=brokers)
    try:
        admin.create_topics({topic: {"num_partitions": 1, "replication_factor": -1}}, wait_for_metadata=True)
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


def java_to_strftime(pattern: str) -> str:
    """Enough of Java's date pattern for the time source's formats (yy, yyyy, MM, dd, HH, mm, ss)."""
    for java, c in (("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")):
        pattern = pattern.replace(java, c)
    return pattern


def time_source(props: dict[str, str]) -> None:
    brokers = _brokers(props)
    topic = props.get("spring.cloud.stream.bindings.output.destination", "output")
    fmt = java_to_strftime(props.get("time.date-format", "MM/dd/yy HH:mm:ss"))
    delay = float(props.get("trigger.fixed-delay", "1"))
    _ensure_topic(brokers, topic)
    producer = KafkaProducer(bootstrap_servers=brokers)
    print(f"time-source stand-in: one timestamp every {delay:g}s to {topic} on {','.join(brokers)}", flush=True)
    while not _stopping:
        now = datetime.datetime.now()
        producer.send(topic, now.strftime(fmt).encode(), headers=SPRING_JSON_HEADERS)
        producer.flush()
        time.sleep(max(0.0, delay - (datetime.datetime.now() - now).total_seconds()))
    producer.close()


def log_sink(props: dict[str, str]) -> None:
    brokers = _brokers(props)
    topic = props.get("spring.cloud.stream.bindings.input.destination", "input")
    name = props.get("log.name", "log-sink")
    group = props.get("spring.cloud.stream.bindings.input.group")
    _ensure_topic(brokers, topic)
    # Like Spring Cloud Stream: an anonymous consumer (no group) starts at the latest offset.
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=brokers,
        group_id=group,
        auto_offset_reset="earliest" if group else "latest",
    )
    print(f"log-sink stand-in: {name} logging {topic} on {','.join(brokers)}", flush=True)
    pid = os.getpid()
    while not _stopping:
        for records in consumer.poll(timeout_ms=500).values():
            for record in records:
                stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
                payload = record.value.decode("utf-8", errors="replace") if record.value is not None else "null"
                print(f"{stamp}  INFO {pid} --- [{name}] log-sink : {payload}", flush=True)
    consumer.close()


def main(argv: Sequence[str]) -> int:
    if len(argv) < 2 or argv[1] not in ("time", "log"):
        print("usage: scdf_standins.py time|log --key=value ...", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    props = _properties(argv[2:])
    (time_source if argv[1] == "time" else log_sink)(props)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
