"""ValueTemplate: rewrites the value from a template, such as the recipe's `Even timestamp: {value}`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

from transforms.config import NO_DEFAULT, Check, Config, ConfigKey, ConfigSpec, ConfigValue, Type
from transforms.plugin import Transformation
from transforms.record import Record


def _number(value: int | None) -> bytes:
    return b"" if value is None else str(value).encode()


_PLACEHOLDERS: dict[str, Callable[[Record], bytes]] = {
    "value": lambda r: r.value or b"",
    "key": lambda r: r.key or b"",
    "topic": lambda r: r.topic.encode(),
    "partition": lambda r: _number(r.partition),
    "offset": lambda r: _number(r.offset),
    "timestamp": lambda r: _number(r.timestamp),
}
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")

Part = bytes | Callable[[Record], bytes]


def _parse(template: str) -> list[Part]:
    """The template as literal byte strings and placeholder getters; raises ValueError on a bad brace."""
    parts: list[Part] = []
    literal: list[str] = []
    position = 0
    for match in _TOKEN.finditer(template):
        literal.append(template[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
            continue
        name = match.group(1)
        if name is None:
            raise ValueError(f"unmatched {token!r} at position {match.start()}; write {token * 2} for a literal brace")
        if name not in _PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {{{name}}}; known: " + ", ".join(f"{{{p}}}" for p in _PLACEHOLDERS))
        parts.append("".join(literal).encode())
        literal = []
        parts.append(_PLACEHOLDERS[name])
    literal.append(template[position:])
    parts.append("".join(literal).encode())
    return [part for part in parts if part != b""]


def _template_reason(value: ConfigValue) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        _parse(value)
    except ValueError as exc:
        return f"Invalid template: {exc}"
    return None


class ValueTemplate(Transformation):
    """Replaces the value with `template`, its placeholders filled in from the record.

    Placeholders: `{value}`, `{key}` (their bytes as they are, not decoded, so any value works; an absent
    key is empty), `{topic}`, `{partition}`, `{offset}`, `{timestamp}` (empty when unknown); `{{` and `}}`
    are literal braces. The template's text is written as UTF-8. A tombstone (null value) stays a
    tombstone. Like every Connect string setting, the template is trimmed of surrounding whitespace.
    """

    CONFIG: ClassVar[ConfigSpec] = ConfigSpec(
        ConfigKey("template", Type.STRING, NO_DEFAULT, "The new value, e.g. `Even timestamp: {value}`.",
                  Check(_template_reason, "text with {value}, {key}, {topic}, {partition}, {offset}, {timestamp}")),
    )  # fmt: skip

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._parts = _parse(config.string("template"))
        value_getter = _PLACEHOLDERS["value"]
        # The recipe's shape, `prefix{value}suffix`, is two byte concatenations: no getters, no join.
        getters = [p for p in self._parts if callable(p)]
        self._affix: tuple[bytes, bytes] | None = None
        if getters == [value_getter]:
            at = self._parts.index(value_getter)
            before = b"".join(p for p in self._parts[:at] if isinstance(p, bytes))
            after = b"".join(p for p in self._parts[at + 1 :] if isinstance(p, bytes))
            self._affix = (before, after)

    def apply(self, record: Record) -> Record | None:
        value = record.value
        if value is None:
            return record
        if self._affix is not None:
            prefix, suffix = self._affix
            return record.with_value(prefix + value + suffix)
        rendered = b"".join(part if isinstance(part, bytes) else part(record) for part in self._parts)
        return record.with_value(rendered)
