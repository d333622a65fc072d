"""Filter (Kafka Connect's): drops every record it is applied to; give it a predicate to choose which."""

from __future__ import annotations

from transforms.plugin import Transformation
from transforms.record import Record


class Filter(Transformation):
    """Drops all records, filtering them from the chain. Use it with a predicate to drop only some:
    `transforms.dropTombstones.predicate=isTombstone`.
    """

    def apply(self, record: Record) -> Record | None:
        return None
