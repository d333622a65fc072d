"""TimestampParityRouter: the recipe's rule (even or odd timestamp -> even or odd topic), made total."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import ClassVar

from transforms.config import NO_DEFAULT, AllOf, Config, ConfigKey, ConfigSpec, NonEmptyString, Type, ValidString
from transforms.errors import DataError
from transforms.java_date import VALID_DATE_PATTERN, JavaDatePattern, epoch_millis
from transforms.plugin import Transformation
from transforms.record import Record
from transforms.value_preview import preview

_UNIT_MILLIS = {"millis": 1, "seconds": 1000, "minutes": 60_000, "hours": 3_600_000, "days": 86_400_000}
_FORMATS = ("auto", "pattern", "epoch", "epoch.seconds", "epoch.millis", "iso8601")
_TOMBSTONES = ("drop", "pass", "fail")

# Epoch numbers: an optional sign, up to 20 integer digits, an optional fraction (`1558115796.5`).
_EPOCH = re.compile(rb"(-?)([0-9]{1,20})(?:\.([0-9]{1,9}))?")
# By magnitude of the integer part, when the unit is not forced: seconds until the year 5138, then
# milliseconds, microseconds, nanoseconds (each range covers 1973..5138 in its unit).
_EPOCH_SCALES = ((10**11, 1000, 1), (10**14, 1, 1), (10**17, 1, 1000), (10**20, 1, 1_000_000))
_EPOCH_START = datetime(1970, 1, 1, tzinfo=UTC)


class TimestampParityRouter(Transformation):
    """Routes a record to `even.topic` or `odd.topic` by the parity of its timestamp, read from the value.

    The parity is that of the number of whole `unit`s since the epoch (UTC), so with the default unit
    (seconds) it is the parity of the seconds field: for the SCDF time source's text (`05/17/19 17:56:36`)
    the decision is the recipe's, the last digit of the seconds. The value may be text in the
    `time.date-format` pattern (a Java date pattern, as the time source's own property), epoch seconds,
    milliseconds, microseconds or nanoseconds (digits, told apart by magnitude: below 10^11 seconds,
    then millis below 10^14, micros below 10^17, nanos), or ISO-8601 (`2019-05-17T17:56:36Z`; no offset
    means UTC). Surrounding whitespace, a trailing newline and JSON quotes are ignored. Text in the
    pattern without a zone is read as UTC; the seconds' parity does not depend on the zone.

    A value it cannot read raises a DataError naming the value and the formats expected, which the
    chain's `errors.tolerance` then handles. A tombstone (null value) is dropped, passed on unchanged,
    or failed, per `tombstones`.
    """

    CONFIG: ClassVar[ConfigSpec] = ConfigSpec(
        ConfigKey("even.topic", Type.STRING, NO_DEFAULT, "Topic for records with an even timestamp.",
                  NonEmptyString()),
        ConfigKey("odd.topic", Type.STRING, NO_DEFAULT, "Topic for records with an odd timestamp.",
                  NonEmptyString()),
        ConfigKey("time.date-format", Type.STRING, "MM/dd/yy HH:mm:ss",
                  "Java date pattern of the timestamp text, as the SCDF time source's `time.date-format`.",
                  AllOf((NonEmptyString(), VALID_DATE_PATTERN))),
        ConfigKey("value.format", Type.STRING, "auto",
                  "How to read the value: `auto` tries `pattern`, then `epoch` (digits), then `iso8601`; "
                  "`epoch.seconds` and `epoch.millis` force the unit of the digits.",
                  ValidString(_FORMATS)),
        ConfigKey("unit", Type.STRING, "seconds",
                  "The unit whose parity decides: the parity of whole units since 1970-01-01T00:00:00Z.",
                  ValidString(tuple(_UNIT_MILLIS))),
        ConfigKey("tombstones", Type.STRING, "drop",
                  "What to do with a record whose value is null: `drop` it (as the recipe does), `pass` it on "
                  "unchanged (its topic stays the input's), or `fail` it as unreadable.",
                  ValidString(_TOMBSTONES)),
    )  # fmt: skip

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._even = config.string("even.topic")
        self._odd = config.string("odd.topic")
        self._pattern = JavaDatePattern(config.string("time.date-format"))
        self._format = config.string("value.format")
        self._unit_millis = _UNIT_MILLIS[config.string("unit")]
        self._tombstones = config.string("tombstones")
        self._expected = self._describe_expected()
        # The hot path: with the default unit the parity of epoch seconds is that of the seconds field
        # whatever the zone (offsets are whole minutes), so one regex match decides; when the pattern ends
        # with the seconds, a full match puts their last digit at the value's last byte (the recipe's rule).
        pattern = self._pattern
        fast = (
            self._unit_millis == 1000
            and self._format in ("auto", "pattern")
            and pattern.seconds_group is not None
            and pattern.regex_checks_ranges
            and not pattern.millis_may_carry
        )
        self._fast_match = pattern.regex_days_to_28.fullmatch if fast else None
        self._seconds_group = 0 if pattern.ends_with_seconds else pattern.seconds_group or 0

    def apply(self, record: Record) -> Record | None:
        value = record.value
        if value is None:
            if self._tombstones == "drop":
                return None
            if self._tombstones == "pass":
                return record
            raise DataError(
                f"Cannot read a timestamp from a null value (a tombstone) on topic {record.topic!r}: "
                f"expected {self._expected}; set tombstones=drop or pass to accept tombstones"
            )
        fast_match = self._fast_match
        if fast_match is not None:
            match = fast_match(value)  # days 29-31 (is there a 02/30?) take the full path
            if match is not None:
                # ASCII digits: the byte's parity is the digit's.
                odd = (match.group(self._seconds_group) if self._seconds_group else value)[-1] & 1
                return record.with_topic(self._odd if odd else self._even)
        odd = (self.epoch_millis(value) // self._unit_millis) & 1
        return record.with_topic(self._odd if odd else self._even)

    def epoch_millis(self, value: bytes) -> int:
        """The timestamp `value` denotes, in milliseconds since the epoch; raises DataError if none."""
        text = value.strip()
        if len(text) >= 2 and text[0] == text[-1] == 0x22:  # a JSON string: "05/17/19 17:56:36"
            text = text[1:-1].strip()
        fmt = self._format
        if fmt in ("auto", "pattern"):
            match = self._pattern.match(text)
            if match is not None:
                try:
                    return epoch_millis(self._pattern.fields(match))
                except ValueError as exc:
                    raise DataError(
                        f"Cannot read a timestamp from value {preview(value)}: it has the form of "
                        f"{self._pattern.pattern} but is not a real date and time ({exc})"
                    ) from None
        if fmt in ("auto", "epoch", "epoch.seconds", "epoch.millis"):
            millis = self._epoch(text)
            if millis is not None:
                return millis
        if fmt in ("auto", "iso8601"):
            millis = self._iso8601(text)
            if millis is not None:
                return millis
        raise DataError(f"Cannot read a timestamp from value {preview(value)}: expected {self._expected}")

    def _epoch(self, text: bytes) -> int | None:
        match = _EPOCH.fullmatch(text)
        if match is None:
            return None
        sign, whole, fraction = match.group(1), match.group(2), match.group(3) or b""
        magnitude = int(whole)
        scaled = int(whole + fraction)  # the number times `denominator`
        denominator = 10 ** len(fraction)
        if sign:
            scaled = -scaled
        if self._format == "epoch.seconds":
            return int(scaled * 1000 // denominator)
        if self._format == "epoch.millis":
            return int(scaled // denominator)
        for limit, multiplier, divisor in _EPOCH_SCALES:
            if magnitude < limit:
                return int(scaled * multiplier // (divisor * denominator))
        return None  # more than 20 digits: not a timestamp

    @staticmethod
    def _iso8601(text: bytes) -> int | None:
        try:
            moment = datetime.fromisoformat(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        delta = moment - _EPOCH_START
        return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000

    def _describe_expected(self) -> str:
        pattern = f"text in the pattern {self._pattern.pattern} (time.date-format, e.g. {self._pattern.example})"
        choices = {
            "pattern": [pattern],
            "epoch": ["epoch seconds, milliseconds, microseconds or nanoseconds (digits, e.g. 1558115796)"],
            "epoch.seconds": ["epoch seconds (digits, e.g. 1558115796)"],
            "epoch.millis": ["epoch milliseconds (digits, e.g. 1558115796789)"],
            "iso8601": ["ISO-8601 (e.g. 2019-05-17T17:56:36Z)"],
        }
        if self._format == "auto":
            parts = choices["pattern"] + choices["epoch"] + choices["iso8601"]
            return ", ".join(parts[:-1]) + ", or " + parts[-1]
        return choices[self._format][0] + f" (value.format={self._format})"
