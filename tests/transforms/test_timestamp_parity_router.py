import pytest
from single_stage import record, stage_problems, transform

from transforms import Record, TransformError

EVEN_ODD = {"even.topic": "evenDest", "odd.topic": "oddDest"}


def route(value: bytes | None, **config: str) -> str | None:
    """The topic the router sends `value` to, or None for a drop; keys use '_' for '.' and '-'."""
    keys = {key.replace("__", "-").replace("_", "."): v for key, v in config.items()}
    result = transform("TimestampParityRouter", {**EVEN_ODD, **keys}, record(value=value))
    return None if result is None else result.topic


def failure(value: bytes | None, **config: str) -> str:
    with pytest.raises(TransformError) as caught:
        route(value, **config)
    assert caught.value.failure.exception_class == "transforms.errors.DataError"
    return caught.value.failure.message


# The recipe's values: the SCDF time source's default format; the last digit of the seconds decides.
def test_even_second() -> None:
    assert route(b"05/17/19 17:56:36") == "evenDest"


def test_odd_second() -> None:
    assert route(b"05/17/19 17:56:37") == "oddDest"


def test_second_zero() -> None:
    assert route(b"12/31/99 23:59:00") == "evenDest"


# What crashed the recipe now routes.
def test_json_quoted() -> None:
    assert route(b'"05/17/19 17:56:37"') == "oddDest"


def test_trailing_newline() -> None:
    assert route(b"05/17/19 17:56:37\n") == "oddDest"


def test_surrounding_whitespace() -> None:
    assert route(b"  05/17/19 17:56:37\r\n") == "oddDest"


def test_quoted_with_whitespace_inside_and_out() -> None:
    assert route(b' " 05/17/19 17:56:37 " \n') == "oddDest"


def test_iso8601_utc() -> None:
    assert route(b"2019-05-17T17:56:37Z") == "oddDest"


def test_iso8601_with_offset_and_fraction() -> None:
    assert route(b"2019-05-17T19:56:36.999+02:00") == "evenDest"


def test_iso8601_without_offset_is_utc() -> None:
    assert route(b"2019-05-17 17:56:37") == "oddDest"


def test_epoch_seconds() -> None:
    assert route(b"1558115797") == "oddDest"


def test_epoch_millis_uses_the_seconds_not_the_last_digit() -> None:
    assert route(b"1558115796999") == "evenDest"


def test_epoch_micros_and_nanos() -> None:
    assert route(b"1558115797000001") == "oddDest"
    assert route(b"1558115797000000001") == "oddDest"


def test_epoch_seconds_with_fraction() -> None:
    assert route(b"1558115797.9") == "oddDest"


def test_negative_epoch_floors() -> None:
    assert route(b"-1") == "oddDest"
    assert route(b"-1500", value_format="epoch.millis") == "evenDest"


def test_epoch_unit_forced() -> None:
    assert route(b"1558116000", value_format="epoch.millis") == "evenDest"  # 1558116 seconds
    assert route(b"1558115797000", value_format="epoch.seconds") == "evenDest"


def test_leap_second_is_even() -> None:
    assert route(b"06/30/15 23:59:60") == "evenDest"


def test_day_29_to_31_checked_against_the_calendar() -> None:
    assert route(b"02/29/20 00:00:01") == "oddDest"
    assert route(b"01/31/19 00:00:01") == "oddDest"


# Other patterns and units.
def test_custom_pattern() -> None:
    assert route(b"2019-05-17 17:56:37.123", time_date__format="yyyy-MM-dd HH:mm:ss.SSS") == "oddDest"


def test_pattern_with_zone() -> None:
    assert route(b"2019-05-17T17:56:37+0545", time_date__format="yyyy-MM-dd'T'HH:mm:ssZ") == "oddDest"


def test_twelve_hour_pattern() -> None:
    assert route(b"05:56:37 PM", time_date__format="hh:mm:ss a") == "oddDest"


def test_abutting_fields() -> None:
    assert route(b"20190517175637", time_date__format="yyyyMMddHHmmss") == "oddDest"


def test_millis_beyond_999_carry_into_seconds_as_in_java() -> None:
    assert route(b"17:56:36.001500", time_date__format="HH:mm:ss.SSSSSS") == "oddDest"


def test_unit_minutes() -> None:
    assert route(b"05/17/19 17:57:36", unit="minutes") == "oddDest"


def test_unit_minutes_counts_the_zone() -> None:
    # 17:56 at +05:45 is 12:11 UTC: an odd minute even though 56 is even.
    assert route(b"2019-05-17T17:56:00+05:45", unit="minutes") == "oddDest"


def test_unit_hours_and_days() -> None:
    assert route(b"05/17/19 17:56:36", unit="hours") == "oddDest"
    assert route(b"01/02/70 00:00:00", unit="days") == "oddDest"


def test_unit_millis() -> None:
    assert route(b"1558115796001", unit="millis") == "oddDest"


def test_value_format_pattern_only_refuses_epoch() -> None:
    message = failure(b"1558115797", value_format="pattern")
    assert message.endswith("(value.format=pattern)")


def test_value_format_iso8601_only() -> None:
    assert route(b"2019-05-17T17:56:37Z", value_format="iso8601") == "oddDest"


# Tombstones.
def test_tombstone_dropped_by_default() -> None:
    assert route(None) is None


def test_tombstone_passed() -> None:
    assert route(None, tombstones="pass") == "timeDest"


def test_tombstone_failed() -> None:
    assert "null value (a tombstone)" in failure(None, tombstones="fail")


# Values that are no timestamp: a DataError naming the value and what was expected.
def test_unreadable_value_message() -> None:
    assert failure(b"abc") == (
        "Cannot read a timestamp from value b'abc': expected text in the pattern MM/dd/yy HH:mm:ss "
        "(time.date-format, e.g. 05/17/19 17:56:36), epoch seconds, milliseconds, microseconds or nanoseconds "
        "(digits, e.g. 1558115796), or ISO-8601 (e.g. 2019-05-17T17:56:36Z)"
    )


def test_empty_value() -> None:
    assert failure(b"").startswith("Cannot read a timestamp from value b'':")


def test_impossible_date() -> None:
    assert failure(b"02/30/19 17:56:36") == (
        "Cannot read a timestamp from value b'02/30/19 17:56:36': it has the form of MM/dd/yy HH:mm:ss "
        "but is not a real date and time (2019-02 has no day 30)"
    )


def test_out_of_range_fields() -> None:
    for value in (b"13/17/19 17:56:36", b"05/32/19 17:56:36", b"05/17/19 24:56:36", b"05/17/19 17:60:36"):
        assert failure(value).startswith(f"Cannot read a timestamp from value {value!r}: expected")


def test_long_value_is_cut_in_the_message() -> None:
    message = failure(b"x" * 1000)
    assert f"{b'x' * 100!r}... (1000 bytes)" in message


def test_too_many_digits() -> None:
    assert failure(b"9" * 21).startswith("Cannot read a timestamp")


def test_record_fields_other_than_topic_untouched() -> None:
    rec = Record(topic="timeDest", value=b"05/17/19 17:56:37", key=b"k", headers=(("h", b"1"),), partition=2, offset=5)
    result = transform("TimestampParityRouter", EVEN_ODD, rec)
    assert result == rec.with_(topic="oddDest")


# Configuration errors, in Connect's wording.
def test_missing_topics() -> None:
    assert stage_problems("TimestampParityRouter") == [
        'Missing required configuration "transforms.a.even.topic" which has no default value.',
        'Missing required configuration "transforms.a.odd.topic" which has no default value.',
    ]


def test_bad_settings_all_reported() -> None:
    config = {**EVEN_ODD, "unit": "weeks", "tombstones": "keep", "time.date-format": "MM/dd/yy Q"}
    assert stage_problems("TimestampParityRouter", config) == [
        "Invalid value MM/dd/yy Q for configuration transforms.a.time.date-format: Invalid date pattern: "
        "pattern letter 'Q' is not a Java date pattern letter; supported letters: y M d H k K h m s S a E Z X "
        "(quote literal text, as in 'T')",
        "Invalid value weeks for configuration transforms.a.unit: "
        "String must be one of: millis, seconds, minutes, hours, days",
        "Invalid value keep for configuration transforms.a.tombstones: String must be one of: drop, pass, fail",
    ]


def test_unsupported_java_letter() -> None:
    assert stage_problems("TimestampParityRouter", {**EVEN_ODD, "time.date-format": "D HH:mm:ss"}) == [
        "Invalid value D HH:mm:ss for configuration transforms.a.time.date-format: Invalid date pattern: "
        "pattern letter 'D' is not supported here; supported letters: y M d H k K h m s S a E Z X "
        "(quote literal text, as in 'T')"
    ]


def test_unterminated_quote() -> None:
    assert stage_problems("TimestampParityRouter", {**EVEN_ODD, "time.date-format": "yyyy'T"}) == [
        "Invalid value yyyy'T for configuration transforms.a.time.date-format: Invalid date pattern: "
        "unterminated quote at position 4; close it with ' (write '' for a quote)"
    ]


def test_misspelt_key_gets_a_suggestion() -> None:
    assert stage_problems("TimestampParityRouter", {**EVEN_ODD, "units": "minutes"}) == [
        'Unknown configuration "transforms.a.units": it is not a key of TimestampParityRouter. '
        'Did you mean "transforms.a.unit"?'
    ]
