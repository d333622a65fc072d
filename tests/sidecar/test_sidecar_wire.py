"""The /route wire format, without HTTP: RecordIn -> Record, and results -> RouteResult."""

import pytest

from sidecar import wire
from transforms.errors import Failure
from transforms.record import Record


def decode(obj: object) -> Record:
    return wire.decode_record(obj, "timeDest")


def problems_of(obj: object) -> list[str]:
    with pytest.raises(wire.BadRecords) as raised:
        decode(obj)
    return raised.value.problems


def test_a_text_value_is_its_utf8_bytes_on_the_input_topic() -> None:
    assert decode({"value": "05/17/19 17:56:36"}) == Record(topic="timeDest", value=b"05/17/19 17:56:36")
    assert decode({"value": "été"}).value == "été".encode()


def test_every_field() -> None:
    record = decode(
        {
            "value_base64": "/wA=",
            "key": "sensor-1",
            "headers": [
                {"key": "contentType", "value": "text/plain"},
                {"key": "bin", "value_base64": "AQI="},
                {"key": "none"},
            ],
            "topic": "other",
            "partition": 3,
            "offset": 42,
            "timestamp": 1558115796000,
        }
    )
    assert record == Record(
        topic="other",
        value=b"\xff\x00",
        key=b"sensor-1",
        headers=(("contentType", b"text/plain"), ("bin", b"\x01\x02"), ("none", None)),  # type: ignore[arg-type]
        partition=3,
        offset=42,
        timestamp=1558115796000,
    )


def test_kafkas_no_timestamp_is_taken() -> None:
    assert decode({"timestamp": -1}).timestamp == -1


def test_an_empty_object_is_a_tombstone() -> None:
    assert decode({}) == Record(topic="timeDest", value=None)
    assert decode({"value": None, "value_base64": None}).value is None


def test_without_an_input_binding_the_topic_is_required() -> None:
    with pytest.raises(wire.BadRecords, match=r'needs a "topic"'):
        wire.decode_record({"value": "x"}, None)
    assert wire.decode_record({"value": "x", "topic": "t"}, None).topic == "t"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], "record must be a JSON object (a record), not an array."),
        ({"valeu": "x"}, 'record has unknown field "valeu"'),
        ({"value": 1558115796}, "record.value must be a string or null, not a number 1558115796; send numbers as text"),
        ({"value": "x", "value_base64": "eA=="}, "record has both value and value_base64"),
        ({"value_base64": "not base64!"}, "record.value_base64 must be standard base64 with padding"),
        ({"value_base64": "eA"}, "record.value_base64 must be standard base64 with padding"),
        ({"key": ["k"]}, "record.key must be a string or null, not an array"),
        ({"topic": ""}, "record.topic must be a topic name of 1 to 249 characters"),
        ({"partition": -1}, "record.partition must be an integer from 0 to 2147483647, not a number -1."),
        ({"offset": True}, "record.offset must be an integer from 0 to 9223372036854775807, not a boolean true."),
        ({"timestamp": 1.5}, "record.timestamp must be an integer"),
        ({"timestamp": -2}, "record.timestamp must be an integer from -1 to 9223372036854775807, not a number -2."),
        ({"headers": {"a": "b"}}, "record.headers must be an array"),
        ({"headers": [{"key": 1}]}, "record.headers[0].key must be the header's name as a string"),
        ({"headers": [{"key": "a", "value": "b", "value_base64": "Yg=="}]}, "record.headers[0] has both value"),
        ({"headers": [{"key": "a", "v": "b"}]}, 'record.headers[0] has unknown field "v"'),
        ({"value": "\ud800"}, "record.value contains a lone surrogate"),
    ],
)
def test_each_problem_says_where_and_what_to_do(body: object, expected: str) -> None:
    problems = problems_of(body)
    assert len(problems) == 1
    assert problems[0].startswith(expected), problems[0]


def test_all_problems_of_a_batch_are_reported_with_their_index() -> None:
    with pytest.raises(wire.BadRecords) as raised:
        wire.decode_batch({"records": [{"value": "ok"}, {"value": 1}, "x", {"partition": "0"}]}, "timeDest")
    where = [p.split(" ")[0] for p in raised.value.problems]
    assert where == ["records[1].value", "records[2]", "records[3].partition"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([{"value": "x"}], 'The body must be a JSON object {"records": [...]}, not an array.'),
        ({"records": [], "more": 1}, 'Unknown field "more" in the body'),
        ({"record": []}, 'Unknown field "record" in the body'),
        ({"records": {"value": "x"}}, '"records" must be a JSON array of records, not an object.'),
    ],
)
def test_a_batch_must_be_an_object_with_records(body: object, expected: str) -> None:
    with pytest.raises(wire.BadRecords) as raised:
        wire.decode_batch(body, "timeDest")
    assert raised.value.problems[0].startswith(expected)


def test_a_huge_value_is_cut_short_in_a_message() -> None:
    [problem] = problems_of({"value": ["x" * 10_000]})
    assert len(problem) < 300


def test_many_problems_are_summarised() -> None:
    with pytest.raises(wire.BadRecords) as raised:
        wire.decode_batch({"records": [1] * 50}, "timeDest")
    assert len(raised.value.problems) == 50
    assert str(raised.value).endswith("(and 30 more)")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "The body is empty."),
        (b"{", "The body is not valid JSON: "),
        (b'{"value": 05/17}', "The body is not valid JSON: "),
        (b'{"value": "\xff"}', "The body is not valid JSON: "),
        (b"[" * 5000 + b"]" * 5000, "The body is not valid JSON: "),
        (b'{"timestamp": NaN}', "The body is not valid JSON: "),
    ],
)
def test_what_is_not_json_is_said_so_with_where(body: bytes, expected: str) -> None:
    with pytest.raises(ValueError, match="^" + expected):
        wire.parse_json(body)


def test_a_routed_result_gives_text_as_text_and_other_bytes_as_base64() -> None:
    result = wire.routed(
        Record(
            topic="evenDest",
            value=b"Even timestamp: 05/17/19 17:56:36",
            key=b"\xff",
            headers=(("contentType", b"text/plain"), ("null", None)),  # type: ignore[arg-type]
            partition=0,
            timestamp=1,
        )
    )
    assert result == {
        "status": "routed",
        "topic": "evenDest",
        "partition": 0,
        "key": None,
        "key_base64": "/w==",
        "value": "Even timestamp: 05/17/19 17:56:36",
        "value_base64": None,
        "headers": [
            {"key": "contentType", "value": "text/plain", "value_base64": None},
            {"key": "null", "value": None, "value_base64": None},
        ],
        "timestamp": 1,
        "error": None,
        "dead_letter_topic": None,
    }


def test_a_failed_result_names_the_stage_and_the_dead_letter_topic() -> None:
    failure = Failure("TRANSFORMATION", "parity", "TimestampParityRouter", "transforms.errors.DataError", "bad")
    result = wire.failed(failure, "timeDest.dlq")
    assert result["status"] == "failed"
    assert result["topic"] is None
    assert result["dead_letter_topic"] == "timeDest.dlq"
    assert result["error"] == {
        "stage": "TRANSFORMATION",
        "alias": "parity",
        "class_name": "TimestampParityRouter",
        "exception_class": "transforms.errors.DataError",
        "message": "bad",
        "retriable": False,
    }


def test_decoding_builds_the_same_record_as_the_constructor() -> None:
    fast = decode({"value": "v", "key": "k", "partition": 1, "offset": 2, "timestamp": 3})
    assert fast == Record(topic="timeDest", value=b"v", key=b"k", partition=1, offset=2, timestamp=3)
    assert hash(fast) == hash(Record(topic="timeDest", value=b"v", key=b"k", partition=1, offset=2, timestamp=3))
    assert fast.with_(topic="x").topic == "x"
