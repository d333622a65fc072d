"""Properties (hypothesis): the parity router agrees with the seconds' parity for every datetime, reads the
instants it is given exactly, and for any input returns a record, a drop, or the library's own error."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from single_stage import BINDINGS, chain_of

from transforms import ConfigError, DataError, Record, TransformError, build_chain
from transforms.builtin.timestamp_parity_router import TimestampParityRouter
from transforms.config import Config
from transforms.java_date import JavaDatePattern
from transforms.value_preview import preview

BOUNDED = settings(max_examples=300, deadline=None)
DATETIMES = st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2045, 12, 31))
ROUTER = chain_of("TimestampParityRouter", {"even.topic": "even", "odd.topic": "odd"})


def parity_router(**config: str) -> TimestampParityRouter:
    spec = TimestampParityRouter.CONFIG
    values, problems = spec.validate({"even.topic": "even", "odd.topic": "odd", **config})
    assert not problems
    return TimestampParityRouter(Config(values))


def epoch_millis(moment: datetime) -> int:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    delta = aware - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


@BOUNDED
@given(DATETIMES)
def test_default_pattern_agrees_with_the_seconds_parity(moment: datetime) -> None:
    value = moment.strftime("%m/%d/%y %H:%M:%S").encode()
    result = ROUTER.apply(Record(topic="timeDest", value=value))
    assert result is not None
    assert result.topic == ("odd" if moment.second % 2 else "even")
    assert result.topic == ("odd" if int(value[-1:]) % 2 else "even")  # the recipe's own rule


@BOUNDED
@given(DATETIMES, st.sampled_from(["millis", "seconds", "minutes", "hours", "days"]))
def test_pattern_is_read_exactly_in_every_unit(moment: datetime, unit: str) -> None:
    router = parity_router(**{"time.date-format": "yyyy-MM-dd HH:mm:ss.SSS", "unit": unit})
    value = moment.strftime("%Y-%m-%d %H:%M:%S.").encode() + b"%03d" % (moment.microsecond // 1000)
    unit_millis = {"millis": 1, "seconds": 1000, "minutes": 60_000, "hours": 3_600_000, "days": 86_400_000}[unit]
    expected = "odd" if (epoch_millis(moment) // unit_millis) % 2 else "even"
    result = router.apply(Record(topic="t", value=value))
    assert result is not None and result.topic == expected


@BOUNDED
@given(
    DATETIMES,
    st.sampled_from(["MM/dd/yy HH:mm:ss", "yyyyMMddHHmmss", "d.M.yyyy H:m:s", "hh:mm:ss a, MMM d yyyy", "HHmmss"]),
)
def test_fast_path_agrees_with_the_full_reading(moment: datetime, pattern: str) -> None:
    router = parity_router(**{"time.date-format": pattern})
    value = JavaDatePattern(pattern).format(moment).encode()
    result = router.apply(Record(topic="t", value=value))
    assert result is not None
    assert result.topic == ("odd" if (router.epoch_millis(value) // 1000) % 2 else "even")
    assert result.topic == ("odd" if moment.second % 2 else "even")


@BOUNDED
@given(DATETIMES, st.integers(min_value=-18 * 60, max_value=18 * 60))
def test_iso8601_with_any_offset_is_read_exactly(moment: datetime, offset_minutes: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    router = parity_router(unit="millis")
    assert router.epoch_millis(aware.isoformat().encode()) == epoch_millis(aware)


@BOUNDED
@given(st.integers(min_value=0, max_value=10**11 - 1))
def test_epoch_seconds_as_digits(seconds: int) -> None:
    assert parity_router().epoch_millis(str(seconds).encode()) == seconds * 1000


@BOUNDED
@given(DATETIMES, st.sampled_from([b"", b"\n", b" ", b"\r\n"]), st.booleans())
def test_quotes_and_whitespace_do_not_change_the_decision(moment: datetime, space: bytes, quoted: bool) -> None:
    text = moment.strftime("%m/%d/%y %H:%M:%S").encode()
    wrapped = space + (b'"' + text + b'"' if quoted else text) + space
    plain, decorated = (ROUTER.apply(Record(topic="t", value=v)) for v in (text, wrapped))
    assert plain is not None and decorated is not None and plain.topic == decorated.topic


@BOUNDED
@given(st.binary(max_size=64) | st.text(alphabet='0123456789/: -TZ.+"\n', max_size=40).map(str.encode))
def test_any_bytes_route_drop_or_raise_the_library_error(value: bytes) -> None:
    try:
        result = ROUTER.apply(Record(topic="timeDest", value=value))
    except TransformError as exc:
        assert exc.failure.exception_class == "transforms.errors.DataError"
        assert preview(value) in exc.failure.message  # the message shows the value
    else:
        assert result is not None and result.topic in ("even", "odd")
    with contextlib.suppress(DataError):
        parity_router().apply(Record(topic="timeDest", value=value))


HEADERS = st.lists(st.tuples(st.text(max_size=8), st.binary(max_size=8)), max_size=4).map(tuple)
RECORDS = st.builds(
    Record,
    topic=st.text(min_size=1, max_size=20),
    value=st.none() | st.binary(max_size=40),
    key=st.none() | st.binary(max_size=10),
    headers=HEADERS,
    partition=st.none() | st.integers(min_value=0, max_value=100),
    offset=st.none() | st.integers(min_value=0),
    timestamp=st.none() | st.integers(min_value=-(2**40), max_value=2**45),
)
EVERY_BUILT_IN = {
    "transforms": "parity,label,hdr,drop,route,ts,filter",
    "transforms.parity.type": "TimestampParityRouter",
    "transforms.parity.even.topic": "${binding:even}",
    "transforms.parity.odd.topic": "${binding:odd}",
    "transforms.parity.tombstones": "pass",
    "transforms.label.type": "ValueTemplate",
    "transforms.label.template": "{topic}|{key}|{partition}|{offset}|{timestamp}|{value}",
    "transforms.hdr.type": "InsertHeader",
    "transforms.hdr.header": "routed",
    "transforms.hdr.value.literal": "yes",
    "transforms.hdr.predicate": "hasHeader",
    "transforms.hdr.negate": "true",
    "transforms.drop.type": "DropHeaders",
    "transforms.drop.headers": "a,b",
    "transforms.route.type": "RegexRouter",
    "transforms.route.regex": "(even|odd)Dest",
    "transforms.route.replacement": "$1-out",
    "transforms.ts.type": "TimestampRouter",
    "transforms.filter.type": "Filter",
    "transforms.filter.predicate": "isTombstone",
    "predicates": "hasHeader,isTombstone",
    "predicates.hasHeader.type": "HasHeaderKey",
    "predicates.hasHeader.name": "routed",
    "predicates.isTombstone.type": "RecordIsTombstone",
}


@BOUNDED
@given(RECORDS)
def test_any_record_through_every_built_in(record: Record) -> None:
    chain = build_chain(EVERY_BUILT_IN, bindings=BINDINGS, env={})
    try:
        result = chain.apply(record)
    except TransformError as exc:
        assert exc.failure.exception_class == "transforms.errors.DataError"
    else:
        assert result is None or isinstance(result, Record)


CHAIN_KEYS = st.sampled_from(
    ["transforms", "predicates", "transforms.a.type", "transforms.a.predicate", "transforms.a.negate",
     "transforms.a.regex", "transforms.a.replacement", "transforms.a.template", "transforms.a.even.topic",
     "predicates.p.type", "predicates.p.pattern", "errors.tolerance", "errors.retry.timeout", "transforms.a.x"]
)  # fmt: skip
CHAIN_VALUES = st.sampled_from(
    ["a", "p", "a,a", "RegexRouter", "Filter", "ValueTemplate", "TopicNameMatches", "true", "(", "$1", "{value}",
     "${binding:even}", "${env:X}", "${file:/nonexistent:k}", "", " ", "all", "-5"]
) | st.text(max_size=12)  # fmt: skip


@BOUNDED
@given(st.dictionaries(CHAIN_KEYS, CHAIN_VALUES, max_size=8))
def test_any_configuration_builds_or_is_a_config_error(properties: dict[str, str]) -> None:
    try:
        chain = build_chain(properties, bindings=BINDINGS, env={})
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
    else:
        with contextlib.suppress(TransformError):
            chain.apply(Record(topic="timeDest", value=b"05/17/19 17:56:36"))
