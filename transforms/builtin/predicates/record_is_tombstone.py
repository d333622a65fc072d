"""RecordIsTombstone (Kafka Connect's): true for records whose value is null."""

from __future__ import annotations

from transforms.plugin import Predicate
from transforms.record import Record


class RecordIsTombstone(Predicate):
    """A predicate which is true for records which are tombstones (i.e. have null value)."""

    def test(self, record: Record) -> bool:
        return record.value is None
