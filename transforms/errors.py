"""The exceptions of the transforms library, one root for all:

TransformsError
├── ConfigError        a configuration is invalid (every problem, listed at once); the root of every
│                      configuration error in python-router (the properties' SettingsError, the Kafka
│                      clients' ClientSettingError, the sidecar's and the chain's)
├── DataError          a transform cannot handle a record's content (Connect's DataException)
└── TransformError     a stage of the chain failed on a record; wraps the cause, names the stage
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field


class TransformsError(Exception):
    """Root of every error this library raises."""


class ConfigError(TransformsError):
    """A configuration has one or more problems, each one line in Kafka Connect's wording. One problem is
    its own message; several are counted and listed, one a line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        if count == 1:
            super().__init__(self.problems[0])
        else:
            listed = "\n".join(f"  - {p}" for p in self.problems)
            super().__init__(f"Configuration has {count} errors:\n{listed}")


class DataError(TransformsError):
    """A record's key, value or headers cannot be handled (a value that is not a timestamp, say).

    The message names the value and what was expected. Not retriable: retrying gives the same answer.
    """


@dataclass(frozen=True, slots=True)
class Failure:
    """What Kafka Connect records about a failed stage (the `__connect.errors.*` headers)."""

    stage: str  # Connect's Stage name: "TRANSFORMATION" or "PREDICATE"... see chain.py
    alias: str  # the alias in `transforms=` (or `predicates=`) that failed
    class_name: str  # the failing transform's or predicate's class, fully qualified (module.Class), as Connect
    exception_class: str  # the exception's fully qualified class name
    message: str
    retriable: bool = False
    stacktrace: str | None = None
    # The exception itself, when the failure happened in this process: its stack trace is formatted only
    # if someone asks (a dead-letter header), as formatting costs ~200 us a record.
    exception: BaseException | None = field(default=None, compare=False, repr=False)

    def trace(self) -> str | None:
        """The stack trace: as given (from a remote sidecar), or formatted from the exception now."""
        if self.stacktrace is None and self.exception is not None:
            return "".join(traceback.format_exception(self.exception))
        return self.stacktrace


class TransformError(TransformsError):
    """A stage of the chain failed on a record; `failure` says where and why."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure
        super().__init__(
            f"{failure.stage} stage '{failure.alias}' ({failure.class_name}) failed: "
            f"{failure.exception_class}: {failure.message}"
        )
