"""Spring's conversions of property text: booleans, durations and data sizes. Each parser raises ValueError
whose message is the "what to do" half of an `Invalid value ... for configuration ...` line."""

from __future__ import annotations

import re
from typing import Final

# Spring's StringToBooleanConverter.
TRUE: Final = frozenset({"true", "on", "yes", "1"})
FALSE: Final = frozenset({"false", "off", "no", "0"})


def parse_boolean(raw: str) -> bool:
    """`true/on/yes/1` or `false/off/no/0`, any case.

    >>> parse_boolean("Yes"), parse_boolean("off")
    (True, False)
    """
    lowered = raw.strip().lower()
    if lowered not in TRUE | FALSE:
        raise ValueError("Value must be true or false (on/off, yes/no and 1/0 work too, as in Spring).")
    return lowered in TRUE


_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)\s*(ns|us|ms|s|m|h|d)?", re.IGNORECASE)
_ISO_DURATION: Final = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", re.IGNORECASE)
_DURATION_UNITS_S: Final = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration_s(raw: str) -> float:
    """Spring's Duration in seconds: `60s`, `500ms`, `2m`, ISO-8601 `PT1M`; a bare number is milliseconds.

    >>> parse_duration_s("2m"), parse_duration_s("PT1M30S"), parse_duration_s("20000")
    (120.0, 90.0, 20.0)
    """
    text = raw.strip()
    simple = _DURATION.fullmatch(text)
    if simple is not None:
        return float(simple.group(1)) * _DURATION_UNITS_S[(simple.group(2) or "ms").lower()]
    iso = _ISO_DURATION.fullmatch(text)
    if iso is not None and any(iso.groups()):
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in iso.groups())
        return days * 86400 + hours * 3600 + minutes * 60 + seconds
    raise ValueError("Value must be a duration such as 60s, 90000ms, 2m or PT1M (Spring's Duration syntax).")


def parse_duration_at_least(raw: str, minimum_s: float, why: str) -> float:
    """A duration of at least `minimum_s` seconds; `why` ends the message of a shorter one."""
    seconds = parse_duration_s(raw)
    if seconds < minimum_s:
        bare = raw.strip().isdigit()
        hint = f" (a bare number is milliseconds, as in Spring: write {raw.strip()}s)" if bare else ""
        raise ValueError(f"Value must be at least {minimum_s:g}s, {why}{hint}.")
    return seconds


_DATA_SIZE: Final = re.compile(r"(\d+)\s*([KMGT]?B)?", re.IGNORECASE)
_DATA_UNITS: Final = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def parse_data_size(raw: str) -> int:
    """Spring's DataSize in bytes: a count with an optional unit B, KB, MB, GB, TB (powers of 1024).

    >>> parse_data_size("4MB"), parse_data_size("512kb"), parse_data_size("2048")
    (4194304, 524288, 2048)
    """
    match = _DATA_SIZE.fullmatch(raw.strip())
    if match is None:
        raise ValueError("Value must be a size such as 1048576, 512KB or 4MB (Spring's DataSize syntax).")
    return int(match.group(1)) * _DATA_UNITS[(match.group(2) or "B").upper()]
