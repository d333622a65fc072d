"""Typed reads of single properties: each is parsed once, here, and a bad one becomes one problem line
(`Invalid value X for configuration K: reason (origin: ...)`) while the default stands in for it, so that
every other problem is still found."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .problems import Problems, invalid_value
from .sources import Property, PropertySources
from .values import parse_boolean

T = TypeVar("T")


class PropertyReader:
    """Reads typed values from `sources`, adding each problem to `problems`.

    >>> problems = Problems()
    >>> read = PropertyReader(PropertySources.of({"example.port": "80800"}), problems)
    >>> read.integer("example.port", 8080, minimum=0, maximum=65535)
    8080
    >>> list(problems)
    ['Invalid value 80800 for configuration example.port: Value must be from 0 to 65535.']
    """

    def __init__(self, sources: PropertySources, problems: Problems) -> None:
        self.sources = sources
        self.problems = problems

    def value(self, key: str, parse: Callable[[str], T], default: T) -> T:
        """`parse` of the property's text (stripped), or `default` when absent or invalid. `parse` raises
        ValueError with the reason."""
        prop = self.sources.get(key)
        if prop is None:
            return default
        try:
            return parse(prop.value.strip())
        except ValueError as why:
            self.invalid(prop, str(why))
            return default

    def text(self, key: str) -> str | None:
        """The property's text, stripped; None when absent or blank."""
        prop = self.sources.get(key)
        return prop.value.strip() if prop is not None and prop.value.strip() else None

    def boolean(self, key: str, default: bool) -> bool:
        return self.value(key, parse_boolean, default)

    def integer(self, key: str, default: int, *, minimum: int, maximum: int | None = None, hint: str = "") -> int:
        """A whole number in [minimum, maximum]; `hint` ends the message of a bad one."""

        def parse(raw: str) -> int:
            try:
                number = int(raw)
            except ValueError:
                raise ValueError(f"Not a whole number{hint}.") from None
            if number < minimum or (maximum is not None and number > maximum):
                bounds = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
                raise ValueError(f"Value must be {bounds}{hint}.")
            return number

        return self.value(key, parse, default)

    def invalid(self, prop: Property, reason: str) -> None:
        """Record that `prop`'s value is unusable, for `reason`."""
        self.problems.add(invalid_value(prop.key, prop.value, reason, prop.source))
