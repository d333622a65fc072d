"""DropHeaders (Kafka Connect's): removes every header with one of the given names."""

from __future__ import annotations

from typing import ClassVar

from transforms.config import NO_DEFAULT, Config, ConfigKey, ConfigSpec, NonEmptyValues, Type
from transforms.plugin import Transformation
from transforms.record import Record


class DropHeaders(Transformation):
    """Drop all header(s) whose names are specified in a comma-separated list."""

    CONFIG: ClassVar[ConfigSpec] = ConfigSpec(
        ConfigKey("headers", Type.LIST, NO_DEFAULT, "Header name(s) to remove.", NonEmptyValues("headers")),
    )

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._names = frozenset(config.strings("headers"))

    def apply(self, record: Record) -> Record | None:
        kept = tuple(header for header in record.headers if header[0] not in self._names)
        if len(kept) == len(record.headers):
            return record
        return record.with_(headers=kept)
