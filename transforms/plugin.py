"""The two contracts a stage implements: Transformation (record in, record or None out) and Predicate.

A plugin declares its configuration as a `CONFIG` spec and is built from the validated values, ready
to use and immutable from then on (no construct-then-configure). Its class docstring is its documentation:

    class Uppercase(Transformation):
        \"\"\"Upper-cases the value (ASCII).\"\"\"

        CONFIG = ConfigSpec()

        def apply(self, record: Record) -> Record | None:
            return record if record.value is None else record.with_(value=record.value.upper())
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from transforms.config import Config, ConfigSpec
from transforms.record import Record


class Transformation(ABC):
    """Turns one record into a new record, or None to drop it. Never mutates its input.

    Raise DataError for a record it cannot handle; the chain names the stage and the error policy decides.
    """

    CONFIG: ClassVar[ConfigSpec] = ConfigSpec()

    def __init__(self, config: Config) -> None:
        """Build from validated `config`; raise `config.invalid(key, reason)` for checks across keys."""
        self.config = config

    @abstractmethod
    def apply(self, record: Record) -> Record | None: ...


class Predicate(ABC):
    """Decides whether a transformation applies to a record (Connect's `predicates.<alias>`)."""

    CONFIG: ClassVar[ConfigSpec] = ConfigSpec()

    def __init__(self, config: Config) -> None:
        """Build from validated `config`; raise `config.invalid(key, reason)` for checks across keys."""
        self.config = config

    @abstractmethod
    def test(self, record: Record) -> bool: ...
