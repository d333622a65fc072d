"""The records every variant reads: SCDF time-source timestamps, as text and padded to 1 KiB, and their topics."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import TopicAlreadyExistsError

# The time source's first value in the recipe's log; record i is this instant plus i seconds, so every value of
# a run is distinct (the latency join relies on it) and even and odd seconds alternate.
EPOCH = datetime(2019, 5, 17, 17, 56, 36, tzinfo=UTC)
TIME_SOURCE_FORMAT = "%m/%d/%y %H:%M:%S"  # the time source's default `MM/dd/yy HH:mm:ss`
KIB = 1024


@dataclass(frozen=True)
class Payload:
    """A kind of input value: the time source's text, optionally padded with spaces to `size` bytes.

    The parity router strips surrounding whitespace, so a padded value routes like the bare timestamp; the
    naive loop reads the last byte, so the padding goes in front (`"    ...05/17/19 17:56:36"`).
    """

    name: str
    size: int | None = None

    def value(self, seq: int) -> bytes:
        text = (EPOCH + timedelta(seconds=seq)).strftime(TIME_SOURCE_FORMAT).encode()
        if self.size is None:
            return text
        return text.rjust(self.size)

    def values(self, count: int, first: int = 0) -> Iterable[bytes]:
        return (self.value(seq) for seq in range(first, first + count))

    def describe(self) -> str:
        return f"{len(self.value(0))} B " + ("time-source text" if self.size is None else "space-padded timestamp")


RECIPE = Payload("recipe")
ONE_KIB = Payload("1KiB", KIB)
PAYLOADS = {p.name: p for p in (RECIPE, ONE_KIB)}


@dataclass(frozen=True)
class Topics:
    """The three topics a router variant is wired to, as SCDF's bindings name them."""

    input: str
    even: str
    odd: str

    @classmethod
    def named(cls, prefix: str) -> Topics:
        return cls(f"{prefix}.timeDest", f"{prefix}.evenDest", f"{prefix}.oddDest")

    @property
    def outputs(self) -> tuple[str, str]:
        return (self.even, self.odd)


def create_topics(bootstrap: str, names: Iterable[str], *, log_append_time: Iterable[str] = ()) -> None:
    """Create single-partition topics (the broker does not auto-create); `log_append_time` ones stamp arrival."""
    stamped = set(log_append_time)
    specs: dict[str, dict[str, object]] = {}
    for name in names:
        spec: dict[str, object] = {"num_partitions": 1, "replication_factor": 1}
        if name in stamped:
            spec["configs"] = {"message.timestamp.type": "LogAppendTime"}
        specs[name] = spec
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        for name, spec in specs.items():
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics({name: spec}, wait_for_metadata=True)
    finally:
        admin.close()


def preload(bootstrap: str, topic: str, payload: Payload, count: int) -> None:
    """Write `count` records to `topic` as fast as the client allows (batched; not a measured step)."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, batch_size=512 * KIB)
    try:
        for value in payload.values(count):
            producer.send(topic, value)
        producer.flush(timeout=300)
    finally:
        producer.close()
    written = end_offsets(bootstrap, [topic])[topic]
    if written < count:
        raise RuntimeError(
            f"Pre-loading {topic} wrote {written} of {count} records: check the broker log, then run the bench again."
        )


class OffsetWatcher:
    """Reads the end offsets of a few topics (one partition each) over one long-lived client connection."""

    def __init__(self, bootstrap: str, topics: Iterable[str]) -> None:
        self._partitions = [TopicPartition(t, 0) for t in topics]
        self._consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)

    def offsets(self) -> dict[str, int]:
        ends = self._consumer.end_offsets(self._partitions)
        return {tp.topic: int(ends[tp]) for tp in self._partitions}

    def total(self) -> int:
        return sum(self.offsets().values())

    def close(self) -> None:
        self._consumer.close()


def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[str, int]:
    watcher = OffsetWatcher(bootstrap, topics)
    try:
        return watcher.offsets()
    finally:
        watcher.close()
