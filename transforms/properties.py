"""Java `.properties` syntax (java.util.Properties.load), the format of Connect's and Spring's config files."""

from __future__ import annotations

import re

from transforms.errors import ConfigError

_NATURAL_LINES = re.compile(r"\r\n|\r|\n")
_WHITESPACE = " \t\f"
_SIMPLE_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_properties(text: str, *, source: str = "properties") -> dict[str, str]:
    """Parse `text` as Java's Properties.load does; the last of repeated keys wins.

    Comments start with `#` or `!`; a key ends at the first unescaped `=`, `:` or whitespace; a line
    ending in an odd number of backslashes continues on the next (whose leading whitespace is dropped);
    `\\t \\n \\r \\f \\uXXXX` are escapes and any other `\\x` means `x`.

    >>> parse_properties("transforms = a,\\\\\\n    b\\n# note\\nerrors.tolerance:all")
    {'transforms': 'a,b', 'errors.tolerance': 'all'}

    Raises ConfigError naming every malformed line (`source` says which file in the messages).
    """
    lines = _NATURAL_LINES.split(text)
    result: dict[str, str] = {}
    problems: list[str] = []
    index = 0
    while index < len(lines):
        line_number = index + 1
        natural = lines[index].lstrip(_WHITESPACE)
        index += 1
        if not natural or natural[0] in "#!":
            continue
        logical = natural
        while _ends_in_odd_backslashes(natural):
            logical = logical[:-1]
            if index == len(lines):
                break
            natural = lines[index].lstrip(_WHITESPACE)
            index += 1
            logical += natural
        raw_key, raw_value = _split_key_value(logical)
        try:
            result[_unescape(raw_key)] = _unescape(raw_value)
        except ValueError as exc:
            problems.append(f"{source} line {line_number}: {exc} in {_clip(logical)!r}")
    if problems:
        raise ConfigError(problems)
    return result


def _ends_in_odd_backslashes(line: str) -> bool:
    count = len(line) - len(line.rstrip("\\"))
    return count % 2 == 1


def _split_key_value(line: str) -> tuple[str, str]:
    """Where Java's Properties.load ends the key and starts the value (before unescaping)."""
    length = len(line)
    key_end = 0
    value_start = length
    has_separator = False
    escaped = False
    while key_end < length:
        char = line[key_end]
        if not escaped and char in "=:":
            value_start = key_end + 1
            has_separator = True
            break
        if not escaped and char in _WHITESPACE:
            value_start = key_end + 1
            break
        escaped = char == "\\" and not escaped
        key_end += 1
    while value_start < length:
        char = line[value_start]
        if char not in _WHITESPACE:
            if has_separator or char not in "=:":
                break
            has_separator = True
        value_start += 1
    return line[:key_end], line[value_start:]


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        index += 1
        if char != "\\":
            out.append(char)
            continue
        if index == length:  # a lone trailing backslash (continuation at end of input) means nothing
            break
        escaped = text[index]
        index += 1
        if escaped == "u":
            digits = text[index : index + 4]
            if _HEX4.fullmatch(digits) is None:
                raise ValueError(f"Malformed \\uxxxx encoding (\\u{digits})")
            out.append(chr(int(digits, 16)))
            index += 4
        else:
            out.append(_SIMPLE_ESCAPES.get(escaped, escaped))
    joined = "".join(out)
    if _LONE_SURROGATE.search(joined) is None:
        return joined
    # Java strings are UTF-16: a `\uD83D\uDE00` pair is one character; an unpaired half cannot be encoded.
    try:
        return joined.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        raise ValueError("unpaired UTF-16 surrogate in a \\uxxxx escape") from None


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
