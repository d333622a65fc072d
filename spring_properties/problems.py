"""Configuration problems, collected: every problem of every group (the properties, the chain, the Kafka
client settings, the server settings) is found in one pass and reported at once, one line each.

The root of every configuration error in python-router is `transforms.errors.ConfigError` (a list of
problems, in Kafka Connect's wording); `SettingsError` is the properties' kind of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from transforms.errors import ConfigError

from .masking import mask_value, scrub
from .text import printable


class SettingsError(ConfigError):
    """One or more properties are missing, malformed or unusable; each problem is one line that names the
    property, its value (masked if secret), where it came from, and what to do."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        super().__init__([problems] if isinstance(problems, str) else problems)


def invalid_value(key: str, value: str, reason: str, origin: str = "") -> str:
    """Kafka Connect's wording for a bad value, used for every property: the value masked if secret, then
    where it came from when that is known.

    >>> invalid_value("example.port", "80800", "Value must be a TCP port.", "command line")
    'Invalid value 80800 for configuration example.port: Value must be a TCP port. (origin: command line)'
    """
    line = f"Invalid value {printable(mask_value(key, value))} for configuration {printable(key)}: {reason}"
    return f"{line} (origin: {origin})" if origin else line


class Problems:
    """The problems found so far, in the order found."""

    def __init__(self) -> None:
        self._lines: list[str] = []

    def add(self, line: str) -> None:
        if line not in self._lines:
            self._lines.append(line)

    @contextmanager
    def collect(self) -> Iterator[None]:
        """Record the problems of a ConfigError raised inside the block, and go on."""
        try:
            yield
        except ConfigError as error:
            for line in error.problems:
                self.add(line)

    def __bool__(self) -> bool:
        return bool(self._lines)

    def __iter__(self) -> Iterator[str]:
        return iter(self._lines)

    def raise_if_any(self, secrets: Iterable[str] = ()) -> None:
        """SettingsError listing every problem, with every secret value scrubbed from it."""
        if self._lines:
            known = frozenset(secrets)
            raise SettingsError([scrub(line, known) for line in self._lines])
