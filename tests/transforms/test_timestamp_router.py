import pytest
from single_stage import record, stage_problems, transform

from transforms import TransformError

MAY_17_2019 = 1558115796789  # 2019-05-17T17:56:36.789Z


def routed(config: dict[str, str], topic: str = "test", timestamp: int | None = MAY_17_2019) -> str:
    result = transform("TimestampRouter", config, record(topic=topic, timestamp=timestamp))
    assert result is not None
    return result.topic


# Connect's TimestampRouterTest: the defaults.
def test_defaults() -> None:
    assert routed({}) == "test-20190517"


def test_custom_formats() -> None:
    assert routed({"topic.format": "${timestamp}.${topic}", "timestamp.format": "yyyy-MM"}) == "2019-05.test"


def test_time_of_day_in_utc() -> None:
    assert routed({"timestamp.format": "yyyyMMdd'T'HHmmss.SSS"}) == "test-20190517T175636.789"


def test_month_and_day_names() -> None:
    assert routed({"timestamp.format": "EEE d MMM yy"}) == "test-Fri 17 May 19"


def test_twelve_hour_clock() -> None:
    assert routed({"timestamp.format": "hh a"}) == "test-05 PM"


def test_epoch_start() -> None:
    assert routed({}, timestamp=0) == "test-19700101"


def test_missing_timestamp_is_a_data_error() -> None:
    with pytest.raises(TransformError, match="Timestamp missing on record") as caught:
        routed({}, timestamp=None)
    assert caught.value.failure.exception_class == "transforms.errors.DataError"


def test_timestamp_beyond_year_9999_is_a_data_error() -> None:
    with pytest.raises(TransformError, match="outside the years 1-9999"):
        routed({}, timestamp=10**18)


def test_invalid_pattern_wording() -> None:
    assert stage_problems("TimestampRouter", {"timestamp.format": "yyyyQQ"}) == [
        "Invalid value yyyyQQ for configuration transforms.a.timestamp.format: Invalid date pattern: "
        "pattern letter 'Q' is not a Java date pattern letter; supported letters: y M d H k K h m s S a E Z X "
        "(quote literal text, as in 'T')"
    ]
