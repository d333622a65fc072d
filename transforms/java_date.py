"""Java `SimpleDateFormat` patterns as SCDF and Connect users write them (`MM/dd/yy HH:mm:ss`), compiled
once into an anchored bytes regex for parsing and a list of pieces for formatting; no strptime per record."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import UTC, date, datetime

from transforms.config import Check, ConfigValue

_MONTHS = tuple(calendar.month_name)[1:]  # January..December, English as Java's default Locale.US formats
_DAYS = tuple(calendar.day_name)  # Monday..Sunday
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

SUPPORTED_LETTERS = {
    "y": "year",
    "M": "month",
    "d": "day in month",
    "H": "hour 0-23",
    "k": "hour 1-24",
    "K": "hour 0-11",
    "h": "hour 1-12",
    "m": "minute",
    "s": "second",
    "S": "millisecond",
    "a": "AM/PM marker",
    "E": "day name",
    "Z": "zone offset +HHMM",
    "X": "ISO zone offset Z, +HH, +HHMM or +HH:MM",
}
_JAVA_ONLY_LETTERS = set("GYLwWDFuz")  # valid in Java, not supported here: a clear error instead of a guess
_NUMERIC = set("yMdHkKhmsS")

# Lenient widths match Java's parser, which ignores the letter count unless fields abut ("yyyyMMdd"),
# where each takes exactly its count of digits. Ranges live in the regex itself, so a match is a valid
# time of day and month; only days 29-31 need the calendar.
_LENIENT = {
    "M": rb"(0?[1-9]|1[0-2])",
    "d": rb"(0?[1-9]|[12][0-9]|3[01])",
    "H": rb"([01]?[0-9]|2[0-3])",
    "k": rb"(0?[1-9]|1[0-9]|2[0-4])",
    "K": rb"(0?[0-9]|1[01])",
    "h": rb"(0?[1-9]|1[0-2])",
    "m": rb"([0-5]?[0-9])",
    "s": rb"([0-5]?[0-9]|60)",  # 60: a leap second, which Java's lenient parser rolls into the next minute
    "S": rb"([0-9]{1,3})",  # for more than 3 letters see _field_regex
}
_TWO_DIGITS = {
    "M": rb"(0[1-9]|1[0-2])",
    "d": rb"(0[1-9]|[12][0-9]|3[01])",
    "H": rb"([01][0-9]|2[0-3])",
    "k": rb"(0[1-9]|1[0-9]|2[0-4])",
    "K": rb"(0[0-9]|1[01])",
    "h": rb"(0[1-9]|1[0-2])",
    "m": rb"([0-5][0-9])",
    "s": rb"([0-5][0-9]|60)",
}
# The same day fields without 29-31: a match of this variant is a real date whatever the month and year.
_DAYS_TO_28 = {True: rb"(0[1-9]|1[0-9]|2[0-8])", False: rb"(0?[1-9]|1[0-9]|2[0-8])"}
_RANGES = {
    "M": (1, 12),
    "d": (1, 31),
    "H": (0, 23),
    "k": (1, 24),
    "K": (0, 11),
    "h": (1, 12),
    "m": (0, 59),
    "s": (0, 60),
}

Fields = tuple[int, int, int, int, int, int, int, int]
"""year, month, day, hour, minute, second, millisecond, zone offset in seconds (east of UTC positive)."""


class _Token:
    __slots__ = ("count", "letter", "literal")

    def __init__(self, letter: str | None, count: int = 0, literal: str = "") -> None:
        self.letter = letter
        self.count = count
        self.literal = literal


def _tokenize(pattern: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    length = len(pattern)
    while index < length:
        char = pattern[index]
        if char == "'":
            if pattern.startswith("''", index):
                tokens.append(_Token(None, literal="'"))
                index += 2
                continue
            end = index + 1
            text: list[str] = []
            while True:
                if end >= length:
                    raise ValueError(f"unterminated quote at position {index}; close it with ' (write '' for a quote)")
                if pattern[end] == "'":
                    if pattern.startswith("''", end):
                        text.append("'")
                        end += 2
                        continue
                    break
                text.append(pattern[end])
                end += 1
            tokens.append(_Token(None, literal="".join(text)))
            index = end + 1
        elif char.isascii() and char.isalpha():
            run = index
            while run < length and pattern[run] == char:
                run += 1
            if char not in SUPPORTED_LETTERS:
                kind = "is not supported here" if char in _JAVA_ONLY_LETTERS else "is not a Java date pattern letter"
                raise ValueError(
                    f"pattern letter {char!r} {kind}; supported letters: {' '.join(SUPPORTED_LETTERS)} "
                    "(quote literal text, as in 'T')"
                )
            tokens.append(_Token(char, run - index))
            index = run
        else:
            tokens.append(_Token(None, literal=char))
            index += 1
    return tokens


def _names(names: tuple[str, ...]) -> bytes:
    # Longest first so "January" is not read as "Jan" + "uary"; case-insensitive like Java's parser.
    choices = sorted({*names, *(n[:3] for n in names)}, key=len, reverse=True)
    return b"((?i:" + b"|".join(c.encode() for c in choices) + b"))"


class JavaDatePattern:
    """A compiled Java date pattern. Parse with `match` + `fields`, format with `format`.

    >>> p = JavaDatePattern("MM/dd/yy HH:mm:ss", reference_year=2026)
    >>> p.fields(p.match(b"05/17/19 17:56:36"))
    (2019, 5, 17, 17, 56, 36, 0, 0)
    >>> p.format(datetime(2019, 5, 17, 17, 56, 36))
    '05/17/19 17:56:36'

    Two-digit years (`yy`) fall within 80 years before and 20 after `reference_year` (default: this
    year), as in Java. Fields absent from the pattern default as in Java (1970-01-01 00:00:00.000 UTC).
    """

    def __init__(self, pattern: str, *, reference_year: int | None = None) -> None:
        if not pattern:
            raise ValueError("the pattern is empty; give one such as MM/dd/yy HH:mm:ss")
        self.pattern = pattern
        self._tokens = _tokenize(pattern)
        year = datetime.now(UTC).year if reference_year is None else reference_year
        self._century_start = year - 80
        parts: list[bytes] = []
        parts_to_28: list[bytes] = []
        self._groups: list[tuple[str, int]] = []  # (letter, count) per regex group, in order
        # Whether the regex alone checks every field's range (not so for odd widths such as `MMMMd`).
        self.regex_checks_ranges = True
        for position, token in enumerate(self._tokens):
            if token.letter is None:
                parts.append(re.escape(token.literal.encode()))
                parts_to_28.append(parts[-1])
                continue
            following = self._tokens[position + 1] if position + 1 < len(self._tokens) else None
            abutting = following is not None and following.letter in _NUMERIC and token.letter in _NUMERIC
            part = self._field_regex(token.letter, token.count, abutting)
            if token.letter in _RANGES and part == rb"([0-9]{%d})" % token.count:
                self.regex_checks_ranges = False
            parts.append(part)
            fixed = abutting and token.count == 2
            parts_to_28.append(
                _DAYS_TO_28[fixed] if token.letter == "d" and part in (_LENIENT["d"], _TWO_DIGITS["d"]) else part
            )
            self._groups.append((token.letter, token.count))
        self.regex: re.Pattern[bytes] = re.compile(b"".join(parts))
        # Matches only values that are certainly real dates and times: no calendar needed.
        self.regex_days_to_28: re.Pattern[bytes] = re.compile(b"".join(parts_to_28))
        letters = [letter for letter, _ in self._groups]
        self.ends_with_seconds = bool(self._tokens) and self._tokens[-1].letter == "s"
        self.has_zone = "Z" in letters or "X" in letters
        # The regex group holding the seconds, for callers that only need their last digit.
        # (The last one, should a pattern repeat it: reading a match, the last field of a kind wins.)
        self.seconds_group = len(letters) - letters[::-1].index("s") if "s" in letters else None
        # Java reads S as a count of milliseconds: with more than 3 letters it can exceed 999 and carry
        # into the seconds (lenient), so the seconds field alone no longer decides.
        self.millis_may_carry = any(letter == "S" and count > 3 for letter, count in self._groups)
        self._formatters = [self._formatter(t) for t in self._tokens]
        self.example = self.format(datetime(2019, 5, 17, 17, 56, 36, 789000))

    def __repr__(self) -> str:
        return f"JavaDatePattern({self.pattern!r})"

    @staticmethod
    def _field_regex(letter: str, count: int, abutting: bool) -> bytes:
        if letter == "y":
            # Year 0 does not exist (Python's dates start at 1); a 2-digit `yy` year is windowed, so 00 is fine.
            if abutting:
                return rb"([0-9]{2})" if count == 2 else rb"((?!0{%d})[0-9]{%d})" % (count, count)
            literal = rb"(?!0+(?![0-9]))[0-9]{1,4}"
            return rb"([0-9]{2}(?![0-9])|" + literal + rb")" if count == 2 else rb"(" + literal + rb")"
        if letter == "M" and count >= 3:
            return _names(_MONTHS)
        if letter == "E":
            return _names(_DAYS)
        if letter == "a":
            return rb"((?i:AM|PM))"
        if letter == "Z":
            return rb"([+-](?:0[0-9]|1[0-8])[0-5][0-9])"
        if letter == "X":
            return rb"(Z|[+-](?:0[0-9]|1[0-8])(?::?[0-5][0-9])?)"
        if abutting:
            if count == 2 and letter in _TWO_DIGITS:
                return _TWO_DIGITS[letter]
            return rb"([0-9]{%d})" % count
        if letter == "S" and count > 3:
            return rb"([0-9]{1,%d})" % count
        return _LENIENT[letter]

    def match(self, value: bytes) -> re.Match[bytes] | None:
        return self.regex.fullmatch(value)

    def fields(self, match: re.Match[bytes]) -> Fields:
        """The date and time a match denotes; raises ValueError for a field out of range (a day its month
        doesn't have, or, where fields abut with unusual widths, any field)."""
        year, month, day, hour, minute, second, millis, offset = 1970, 1, 1, 0, 0, 0, 0, 0
        pm = False
        twelve_hour = -1
        for (letter, count), text in zip(self._groups, match.groups(), strict=True):
            if letter in _RANGES and (letter != "M" or count < 3):
                low, high = _RANGES[letter]
                if not low <= int(text) <= high:
                    raise ValueError(f"{SUPPORTED_LETTERS[letter]} {int(text)} is out of range {low}-{high}")
            if letter == "y":
                year = int(text)
                if count == 2 and len(text) == 2:
                    year += (self._century_start // 100) * 100
                    if year < self._century_start:
                        year += 100
            elif letter == "M":
                month = int(text) if count < 3 else _month_number(text)
            elif letter == "d":
                day = int(text)
            elif letter == "H":
                hour = int(text)
            elif letter == "k":
                hour = int(text) % 24
            elif letter in "Kh":
                twelve_hour = int(text) % 12
            elif letter == "m":
                minute = int(text)
            elif letter == "s":
                second = int(text)
            elif letter == "S":
                millis = int(text)
            elif letter == "a":
                pm = text.upper() == b"PM"
            elif letter in "ZX":
                offset = _offset_seconds(text)
        if twelve_hour >= 0:
            hour = twelve_hour + (12 if pm else 0)
        if day > 28 and day > calendar.monthrange(year, month)[1]:
            raise ValueError(f"{year:04d}-{month:02d} has no day {day}")
        return year, month, day, hour, minute, second, millis, offset

    def format(self, moment: datetime) -> str:
        """`moment` (naive means UTC) as Java's SimpleDateFormat would write it in UTC with Locale.US."""
        return "".join(piece(moment) for piece in self._formatters)

    @staticmethod
    def _formatter(token: _Token) -> Callable[[datetime], str]:
        count = token.count
        width = "0" + str(count) + "d"
        letter = token.letter
        if letter is None:
            literal = token.literal
            return lambda _: literal
        if letter == "y":
            if count == 2:
                return lambda t: format(t.year % 100, "02d")
            return lambda t: format(t.year, width)
        if letter == "M":
            if count >= 4:
                return lambda t: _MONTHS[t.month - 1]
            if count == 3:
                return lambda t: _MONTHS[t.month - 1][:3]
            return lambda t: format(t.month, width)
        if letter == "E":
            if count >= 4:
                return lambda t: _DAYS[t.weekday()]
            return lambda t: _DAYS[t.weekday()][:3]
        if letter == "a":
            return lambda t: "PM" if t.hour >= 12 else "AM"
        if letter == "Z":
            return lambda _: "+0000"
        if letter == "X":
            return lambda _: "Z"
        numbers: dict[str, Callable[[datetime], int]] = {
            "d": lambda t: t.day,
            "H": lambda t: t.hour,
            "k": lambda t: t.hour or 24,
            "K": lambda t: t.hour % 12,
            "h": lambda t: t.hour % 12 or 12,
            "m": lambda t: t.minute,
            "s": lambda t: t.second,
            "S": lambda t: t.microsecond // 1000,
        }
        number = numbers[letter]
        return lambda t: format(number(t), width)


def _month_number(name: bytes) -> int:
    prefix = name[:3].decode().lower()
    for index, month in enumerate(_MONTHS):
        if month[:3].lower() == prefix:
            return index + 1
    raise ValueError(f"unknown month name {name!r}")  # unreachable: the regex only admits month names


def _offset_seconds(text: bytes) -> int:
    if text == b"Z":
        return 0
    digits = text[1:].replace(b":", b"")
    hours = int(digits[:2])
    minutes = int(digits[2:4] or b"0")
    seconds = hours * 3600 + minutes * 60
    return -seconds if text[:1] == b"-" else seconds


def epoch_millis(fields: Fields) -> int:
    """Milliseconds since 1970-01-01T00:00:00Z of `fields` (Java's lenient carry for a leap second 60)."""
    year, month, day, hour, minute, second, millis, offset = fields
    days = date(year, month, day).toordinal() - EPOCH_ORDINAL
    return (days * 86400 + hour * 3600 + minute * 60 + second - offset) * 1000 + millis


def date_pattern_reason(value: ConfigValue) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        JavaDatePattern(value)
    except ValueError as exc:
        return f"Invalid date pattern: {exc}"
    return None


VALID_DATE_PATTERN = Check(date_pattern_reason, "a java.text.SimpleDateFormat pattern")
