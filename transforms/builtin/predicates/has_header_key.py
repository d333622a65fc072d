"""HasHeaderKey (Kafka Connect's): true for records with at least one header of a given name."""

from __future__ import annotations

from typing import ClassVar

from transforms.config import NO_DEFAULT, Config, ConfigKey, ConfigSpec, NonEmptyString, Type
from transforms.plugin import Predicate
from transforms.record import Record


class HasHeaderKey(Predicate):
    """A predicate which is true for records with at least one header with the configured name."""

    CONFIG: ClassVar[ConfigSpec] = ConfigSpec(
        ConfigKey("name", Type.STRING, NO_DEFAULT, "The header name.", NonEmptyString()),
    )

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._name = config.string("name")

    def test(self, record: Record) -> bool:
        return any(name == self._name for name, _ in record.headers)
