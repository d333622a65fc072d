"""Record's copies (with_, and the hot path's with_topic / with_value) equal dataclasses.replace's."""

from dataclasses import FrozenInstanceError, replace

import pytest

from transforms import Record

FULL = Record(topic="t", value=b"v", key=b"k", headers=(("h", b"1"),), partition=1, offset=2, timestamp=3)


def test_with_equals_replace() -> None:
    assert FULL.with_(value=None, partition=9) == replace(FULL, value=None, partition=9)


def test_with_topic() -> None:
    assert FULL.with_topic("u") == replace(FULL, topic="u")


def test_with_value() -> None:
    assert FULL.with_value(b"w") == replace(FULL, value=b"w")


def test_original_untouched() -> None:
    FULL.with_(topic="x")
    assert FULL.topic == "t"


def test_copy_is_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        FULL.with_topic("x").topic = "y"  # type: ignore[misc]


def test_unknown_field() -> None:
    with pytest.raises(TypeError, match="Record has no field colour; its fields are topic, value, key"):
        FULL.with_(colour="red")


def test_header_lookup_is_the_last() -> None:
    assert Record(topic="t", value=None, headers=(("a", b"1"), ("a", b"2"))).header("a") == b"2"
