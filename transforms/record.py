"""The record that flows through a chain: an immutable copy of one Kafka record."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
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
        if type(self) is not Record:
            return replace(self, **changes)
        unknown = changes.keys() - _FIELD_NAMES
        if unknown:
            raise TypeError(
                f"Record has no field {', '.join(sorted(unknown))}; its fields are {', '.join(_FIELD_NAMES)}"
            )
        copy = _new_record(Record)
        for name, get, set_ in _SLOTS:
            set_(copy, changes[name] if name in changes else get(self))
        return copy

    # The chain's hot path changes one field per stage. dataclasses.replace re-runs the frozen __init__
    # (about 5 us a copy here); writing the slots through their descriptors is about ten times cheaper.
    def with_topic(self, topic: str) -> Record:
        """A copy on another topic (a fast `with_(topic=...)`)."""
        if type(self) is not Record:
            return replace(self, topic=topic)
        return make_record(topic, self.value, self.key, self.headers, self.partition, self.offset, self.timestamp)

    def with_value(self, value: bytes | None) -> Record:
        """A copy with another value (a fast `with_(value=...)`)."""
        if type(self) is not Record:
            return replace(self, value=value)
        return make_record(self.topic, value, self.key, self.headers, self.partition, self.offset, self.timestamp)

    def header(self, key: str) -> bytes | None:
        """The last value of header `key` (Kafka's `lastHeader`), or None."""
        for name, value in reversed(self.headers):
            if name == key:
                return value
        return None


_new_record = object.__new__
_FIELD_NAMES = tuple(f.name for f in fields(Record))
# (name, getter, setter) of each slot: the member descriptors bypass the frozen __setattr__.
_SLOTS = tuple((name, vars(Record)[name].__get__, vars(Record)[name].__set__) for name in _FIELD_NAMES)
_set_topic, _set_value, _set_key, _set_headers, _set_partition, _set_offset, _set_timestamp = (
    setter for _, _, setter in _SLOTS
)


def make_record(
    topic: str,
    value: bytes | None,
    key: bytes | None,
    headers: tuple[Header, ...],
    partition: int | None,
    offset: int | None,
    timestamp: int | None,
) -> Record:
    """`Record(topic, value, key, headers, partition, offset, timestamp)`, about three times faster.

    For the hot paths (a consumed batch, /route/batch, each stage of the chain): the frozen dataclass's
    __init__ sets every field through object.__setattr__; this writes the slots directly.
    """
    record: Record = _new_record(Record)
    _set_topic(record, topic)
    _set_value(record, value)
    _set_key(record, key)
    _set_headers(record, headers)
    _set_partition(record, partition)
    _set_offset(record, offset)
    _set_timestamp(record, timestamp)
    return record
