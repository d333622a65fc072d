"""Java SimpleDateFormat patterns: parsing (lenient widths, strict ranges) and formatting in UTC."""

from datetime import datetime

import pytest

from transforms.java_date import JavaDatePattern


def fields(pattern: str, text: bytes) -> tuple[int, ...] | None:
    compiled = JavaDatePattern(pattern, reference_year=2026)
    match = compiled.match(text)
    return None if match is None else compiled.fields(match)


def formatted(pattern: str, moment: datetime) -> str:
    return JavaDatePattern(pattern).format(moment)


def test_scdf_default() -> None:
    assert fields("MM/dd/yy HH:mm:ss", b"05/17/19 17:56:36") == (2019, 5, 17, 17, 56, 36, 0, 0)


def test_two_digit_year_window() -> None:
    # Java's window is 80 years before to 20 after now; here by whole years: 1946..2045 in 2026.
    assert fields("yy", b"45") == (2045, 1, 1, 0, 0, 0, 0, 0)
    assert fields("yy", b"46") == (1946, 1, 1, 0, 0, 0, 0, 0)


def test_year_written_in_full_under_yy() -> None:
    assert fields("MM/dd/yy", b"05/17/2019") == (2019, 5, 17, 0, 0, 0, 0, 0)


def test_single_digits_accepted_where_fields_do_not_abut() -> None:
    assert fields("MM/dd/yy H:m:s", b"5/7/19 7:6:5") == (2019, 5, 7, 7, 6, 5, 0, 0)


def test_abutting_fields_use_their_widths() -> None:
    assert fields("yyyyMMddHHmmssSSS", b"20190517175636789") == (2019, 5, 17, 17, 56, 36, 789, 0)


def test_quoted_literals() -> None:
    assert fields("yyyy-MM-dd'T'HH:mm:ss'Z'", b"2019-05-17T17:56:36Z") == (2019, 5, 17, 17, 56, 36, 0, 0)
    assert fields("h 'o''clock' a", b"5 o'clock pm") == (1970, 1, 1, 17, 0, 0, 0, 0)


def test_names() -> None:
    assert fields("EEE, d MMM yyyy", b"Fri, 17 May 2019") == (2019, 5, 17, 0, 0, 0, 0, 0)
    assert fields("MMMM d", b"september 3") == (1970, 9, 3, 0, 0, 0, 0, 0)


def test_clock_variants() -> None:
    assert fields("k", b"24") == (1970, 1, 1, 0, 0, 0, 0, 0)
    assert fields("K a", b"11 PM") == (1970, 1, 1, 23, 0, 0, 0, 0)
    assert fields("hh a", b"12 AM") == (1970, 1, 1, 0, 0, 0, 0, 0)


def test_zones() -> None:
    assert fields("HH:mmZ", b"17:56+0545") == (1970, 1, 1, 17, 56, 0, 0, 20700)
    assert fields("HH:mmXXX", b"17:56-08:00") == (1970, 1, 1, 17, 56, 0, 0, -28800)
    assert fields("HH:mmX", b"17:56Z") == (1970, 1, 1, 17, 56, 0, 0, 0)


@pytest.mark.parametrize(
    "text",
    [b"13/17/19 17:56:36", b"00/17/19 17:56:36", b"05/00/19 17:56:36", b"05/17/19 25:56:36", b"05/17/19 17:61:36",
     b"05/17/19 17:56:61", b"05/17/19 17:56", b"05-17-19 17:56:36", b"05/17/19  17:56:36", b"05/17/0000 17:56:36"],
)  # fmt: skip
def test_out_of_range_or_misshapen_do_not_match(text: bytes) -> None:
    assert fields("MM/dd/yy HH:mm:ss", text) is None


def test_day_not_in_month() -> None:
    with pytest.raises(ValueError, match="2019-02 has no day 29"):
        fields("MM/dd/yy", b"02/29/19")
    assert fields("MM/dd/yy", b"02/29/20") == (2020, 2, 29, 0, 0, 0, 0, 0)


def test_format_like_java() -> None:
    moment = datetime(2019, 5, 7, 5, 6, 7, 89000)
    assert formatted("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", moment) == "2019-05-07T05:06:07.089Z"
    assert formatted("yy M d H m s S", moment) == "19 5 7 5 6 7 89"
    assert formatted("EEEE MMMM, EEE MMM", moment) == "Tuesday May, Tue May"
    assert formatted("hh:mm a k K Z", moment) == "05:06 AM 5 5 +0000"


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("", "the pattern is empty; give one such as MM/dd/yy HH:mm:ss"),
        ("yyyy-MM-dd'T", "unterminated quote at position 10; close it with ' (write '' for a quote)"),
        ("yyyy w", "pattern letter 'w' is not supported here; supported letters: y M d H k K h m s S a E Z X "
                   "(quote literal text, as in 'T')"),
    ],
)  # fmt: skip
def test_bad_patterns(pattern: str, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        JavaDatePattern(pattern)
    assert str(caught.value) == reason


def test_abutting_fields_check_their_ranges() -> None:
    assert fields("yyyyMMddHHmmss", b"20191345175637") is None
    assert fields("yyyyMMddHHmmss", b"20190517175699") is None


def test_odd_widths_are_checked_after_the_match() -> None:
    compiled = JavaDatePattern("HHHmm")
    assert not compiled.regex_checks_ranges
    with pytest.raises(ValueError, match="hour 0-23 99 is out of range 0-23"):
        compiled.fields(compiled.match(b"09930"))  # type: ignore[arg-type]


def test_days_to_28_variant_matches_only_certain_dates() -> None:
    compiled = JavaDatePattern("MM/dd/yy HH:mm:ss")
    assert compiled.regex_days_to_28.fullmatch(b"02/28/19 00:00:00") is not None
    assert compiled.regex_days_to_28.fullmatch(b"01/29/19 00:00:00") is None
    assert compiled.regex.fullmatch(b"01/29/19 00:00:00") is not None
