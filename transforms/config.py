"""Configuration declared as data (Kafka Connect's ConfigDef): keys, types, defaults, validators, docs,
and validation that collects every problem in Connect's wording instead of stopping at the first."""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from transforms.errors import ConfigError


class _NoDefault:
    """Marks a required key (Connect's `ConfigDef.NO_DEFAULT_VALUE`)."""

    _instance: _NoDefault | None = None

    def __new__(cls) -> _NoDefault:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Final = _NoDefault()

ConfigValue = str | int | bool | tuple[str, ...] | None


class Type(enum.Enum):
    """The value types of Connect's ConfigDef that a transform needs."""

    STRING = "string"
    INT = "int"
    LONG = "long"
    BOOLEAN = "boolean"
    LIST = "list"


_INT_RANGE = {Type.INT: (-(2**31), 2**31 - 1), Type.LONG: (-(2**63), 2**63 - 1)}
_LIST_SEPARATOR = re.compile(r"\s*,\s*")
# Java's Long.parseLong: an optional sign and ASCII digits, nothing else (no '_', no '+ 1', no '1e3').
_JAVA_INTEGER = re.compile(r"[+-]?[0-9]+")


def invalid_value(value: object, name: str, reason: str | None = None) -> str:
    """Connect's ConfigException wording for a bad value."""
    suffix = "" if reason is None else f": {reason}"
    return f"Invalid value {show(value)} for configuration {name}{suffix}"


def missing_value(name: str) -> str:
    """Connect's ConfigException wording for a required key that is absent."""
    return f'Missing required configuration "{name}" which has no default value.'


def show(value: object) -> str:
    """A value as Java's toString would print it in a Connect message (lists as `[a, b]`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def parse_value(type_: Type, raw: str) -> ConfigValue:
    """Parse `raw` as ConfigDef.parseType does (strings are trimmed); raises ValueError with Connect's reason."""
    trimmed = raw.strip()
    if type_ is Type.STRING:
        return trimmed
    if type_ is Type.BOOLEAN:
        lowered = trimmed.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise ValueError("Expected value to be either true or false")
    if type_ is Type.LIST:
        return () if not trimmed else tuple(_LIST_SEPARATOR.split(trimmed))
    # INT and LONG: Java's parseInt/parseLong accept only an optional sign and digits, within range.
    low, high = _INT_RANGE[type_]
    if _JAVA_INTEGER.fullmatch(trimmed) is None or not low <= int(trimmed) <= high:
        raise ValueError(f"Not a number of type {type_.name}")
    return int(trimmed)


# A validator returns None when the value is fine, or Connect's reason why it is not.
# `describe()` is the "Valid Values" column of the generated docs.
class Validator:
    """Checks one parsed value; subclasses say why a value is wrong in Connect's words."""

    def __call__(self, value: ConfigValue) -> str | None:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class NonEmptyString(Validator):
    def __call__(self, value: ConfigValue) -> str | None:
        return "String must be non-empty" if value == "" else None

    def describe(self) -> str:
        return "non-empty string"


@dataclass(frozen=True)
class ValidString(Validator):
    allowed: tuple[str, ...]

    def __call__(self, value: ConfigValue) -> str | None:
        return None if value in self.allowed else "String must be one of: " + ", ".join(self.allowed)

    def describe(self) -> str:
        return "[" + ", ".join(self.allowed) + "]"


@dataclass(frozen=True)
class AtLeast(Validator):
    minimum: int

    def __call__(self, value: ConfigValue) -> str | None:
        if isinstance(value, int) and value < self.minimum:
            return f"Value must be at least {self.minimum}"
        return None

    def describe(self) -> str:
        return f"[{self.minimum},...]"


@dataclass(frozen=True)
class NonEmptyValues(Validator):
    """Connect's `ValidList.anyNonDuplicateValues(false, false)`: a list with at least one value, none empty.
    `name` is the key as the transform defines it (Connect's message names it so)."""

    name: str

    def __call__(self, value: ConfigValue) -> str | None:
        if value == ():
            return f"Configuration '{self.name}' must not be empty. Valid values include: any non-empty value"
        if isinstance(value, tuple) and "" in value:
            return f"Configuration '{self.name}' values must not be empty."
        return None

    def describe(self) -> str:
        return "any non-empty value"


@dataclass(frozen=True)
class Check(Validator):
    """A validator from a function returning the reason or None, with its docs description."""

    check: Callable[[ConfigValue], str | None]
    description: str

    def __call__(self, value: ConfigValue) -> str | None:
        return self.check(value)

    def describe(self) -> str:
        return self.description


@dataclass(frozen=True)
class AllOf(Validator):
    """Every validator in order; the first complaint wins (Connect's CompositeValidator)."""

    validators: tuple[Validator, ...]

    def __call__(self, value: ConfigValue) -> str | None:
        for validator in self.validators:
            reason = validator(value)
            if reason is not None:
                return reason
        return None

    def describe(self) -> str:
        return ", ".join(v.describe() for v in self.validators)


@dataclass(frozen=True)
class ConfigKey:
    """One configuration key: what it is called, its type, its default (or NO_DEFAULT), its check, its doc."""

    name: str
    type: Type
    default: ConfigValue | _NoDefault
    doc: str
    validator: Validator | None = None

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT


class ConfigSpec:
    """The configuration of one transform or predicate, as data beside its code.

    >>> spec = ConfigSpec(ConfigKey("regex", Type.STRING, NO_DEFAULT, "Regular expression to use for matching."))
    >>> spec.validate({"regex": " a.* "}, prefix="transforms.route.")[0].string("regex")
    'a.*'
    """

    __slots__ = ("keys",)

    def __init__(self, *keys: ConfigKey) -> None:
        names = [key.name for key in keys]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"ConfigSpec declares {', '.join(duplicates)} more than once; declare each key once")
        self.keys: tuple[ConfigKey, ...] = tuple(keys)

    def __repr__(self) -> str:
        return f"ConfigSpec({', '.join(self.names())})"

    def names(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys)

    def validate(self, raw: Mapping[str, str], *, prefix: str = "") -> tuple[Config, list[str]]:
        """Parse and check `raw` (keys without `prefix`); returns the values and every problem found.

        Keys of `raw` that the spec does not declare are not looked at; the caller decides what they mean.
        """
        values: dict[str, ConfigValue] = {}
        problems: list[str] = []
        for key in self.keys:
            full_name = prefix + key.name
            value: ConfigValue
            if key.name in raw:
                try:
                    value = parse_value(key.type, raw[key.name])
                except ValueError as exc:
                    problems.append(invalid_value(raw[key.name], full_name, str(exc)))
                    continue
            elif isinstance(key.default, _NoDefault):
                problems.append(missing_value(full_name))
                continue
            else:
                value = key.default
            reason = key.validator(value) if key.validator is not None else None
            if reason is not None:
                problems.append(invalid_value(value, full_name, reason))
                continue
            values[key.name] = value
        return Config(values, prefix=prefix), problems


def closest(word: str, candidates: Sequence[str], cutoff: float = 0.6) -> list[str]:
    """The candidates nearest to `word` (difflib's ratio), ties included, at most three: "did you mean"."""
    scored = sorted(
        ((difflib.SequenceMatcher(None, word, c).ratio(), c) for c in candidates), key=lambda sc: (-sc[0], sc[1])
    )
    scored = [(score, c) for score, c in scored if score >= cutoff]
    if not scored:
        return []
    best = scored[0][0]
    return [c for score, c in scored[:3] if score >= best - 0.02]


def unknown_keys(declared: Sequence[str], given: Sequence[str], prefix: str, owner: str) -> list[str]:
    """A problem for every given key that `owner` (a type name, say) does not declare, with the closest ones.

    Connect only logs unused keys; here a misspelt optional key would silently keep its default, so it
    is an error.
    """
    problems = []
    for name in given:
        if name in declared:
            continue
        message = f'Unknown configuration "{prefix}{name}": it is not a key of {owner}.'
        close = closest(name, declared)
        if close:
            message += " Did you mean " + " or ".join(f'"{prefix}{c}"' for c in close) + "?"
        elif declared:
            message += " Its keys are: " + ", ".join(prefix + d for d in declared) + "."
        else:
            message += f" {owner} takes no configuration; remove the key."
        problems.append(message)
    return problems


class Config(Mapping[str, ConfigValue]):
    """The validated values of one transform or predicate, read through typed getters.

    `invalid(key, reason)` makes a ConfigError in Connect's wording for checks that span several keys.
    """

    __slots__ = ("_prefix", "_values")

    def __init__(self, values: Mapping[str, ConfigValue], *, prefix: str = "") -> None:
        self._values = dict(values)
        self._prefix = prefix

    def __getitem__(self, key: str) -> ConfigValue:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Config({self._values!r}, prefix={self._prefix!r})"

    @property
    def prefix(self) -> str:
        return self._prefix

    def full_name(self, key: str) -> str:
        return self._prefix + key

    def string(self, key: str) -> str:
        value = self._values[key]
        if not isinstance(value, str):
            raise TypeError(f"configuration {self.full_name(key)} is {value!r}, not a string")
        return value

    def optional_string(self, key: str) -> str | None:
        value = self._values[key]
        return None if value is None else self.string(key)

    def integer(self, key: str) -> int:
        value = self._values[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"configuration {self.full_name(key)} is {value!r}, not an integer")
        return value

    def boolean(self, key: str) -> bool:
        value = self._values[key]
        if not isinstance(value, bool):
            raise TypeError(f"configuration {self.full_name(key)} is {value!r}, not a boolean")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._values[key]
        if not isinstance(value, tuple):
            raise TypeError(f"configuration {self.full_name(key)} is {value!r}, not a list")
        return value

    def invalid(self, key: str, reason: str) -> ConfigError:
        return ConfigError([invalid_value(self._values.get(key), self.full_name(key), reason)])
