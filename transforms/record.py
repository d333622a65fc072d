"""The record that flows through a chain: an immutable copy of one Kafka record."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

Header = tuple[str, bytes]


@dataclass(frozen=True, slots=True)
class Record:
    """One Kafka record. Transforms return a new one (see `with_`) or None to drop it.

    >>> r = Record(topic="timeDest", value=b"05/17/19 17:56:36")
    >>> r.with_(topic="evenDest").topic
    'evenDest'

    `headers` is ordered and may repeat a key, as Kafka's are; values are bytes.
    `partition`, `offset` and `timestamp` (epoch milliseconds) are None when unknown.
    """

    topic: str
    value: bytes | None
    key: bytes | None = None
    headers: tuple[Header, ...] = ()
    partition: int | None = None
    offset: int | None = None
    timestamp: int | None = None

    def with_(self, **changes: Any) -> Record:
        """A copy with `changes` applied; the original is untouched."""
        return replace(self, **changes)

    def header(self, key: str) -> bytes | None:
        """The last value of header `key` (Kafka's `lastHeader`), or None."""
        for name, value in reversed(self.headers):
            if name == key:
                return value
        return None
