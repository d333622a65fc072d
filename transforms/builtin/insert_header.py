"""InsertHeader (Kafka Connect's): adds a header with a literal value."""

from __future__ import annotations

from typing import ClassVar

from transforms.config import NO_DEFAULT, Config, ConfigKey, ConfigSpec, NonEmptyString, Type
from transforms.plugin import Transformation
from transforms.record import Record


class InsertHeader(Transformation):
    """Insert header as a literal value.

    The header is always added, even when the record has one of that name already (Kafka headers repeat).
    The value is the literal's UTF-8 bytes (Connect would infer a type from the text; here it is a string).
    """

    CONFIG: ClassVar[ConfigSpec] = ConfigSpec(
        ConfigKey("header", Type.STRING, NO_DEFAULT, "Name of the header to add.", NonEmptyString()),
        ConfigKey("value.literal", Type.STRING, NO_DEFAULT, "Value of the header to add."),
    )

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._header = (config.string("header"), config.string("value.literal").encode())

    def apply(self, record: Record) -> Record | None:
        return record.with_(headers=(*record.headers, self._header))
