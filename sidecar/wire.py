"""The /route wire format: JSON `RecordIn` -> `Record`, and a chain's outcome -> JSON `RouteResult`.

Hand-written rather than pydantic models, and orjson rather than json, because the batch form must classify
100k records/s (bench/bench_route.py); the OpenAPI schemas in `schemas.py` describe the same shapes, and the
contract tests fuzz one against the other.
"""

from __future__ import annotations

import binascii
import contextlib
import json
import re
from typing import Any, Final

import orjson

from spring_properties.binder_names import INPUT_DESTINATION
from transforms.errors import Failure
from transforms.record import Header, Record, make_record

RECORD_FIELDS: Final = frozenset(
    {"value", "value_base64", "key", "key_base64", "headers", "topic", "partition", "offset", "timestamp"}
)
HEADER_FIELDS: Final = frozenset({"key", "value", "value_base64"})
BATCH_FIELDS: Final = frozenset({"records"})

MAX_PARTITION: Final = 2**31 - 1  # Kafka's int32
MAX_LONG: Final = 2**63 - 1  # Kafka's int64 offsets and timestamps
NO_TIMESTAMP: Final = -1  # Kafka's RecordBatch.NO_TIMESTAMP, which a consumer can meet on old-format records
MAX_TOPIC_LENGTH: Final = 249  # Kafka's limit on topic names
BASE64_PATTERN: Final = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_BASE64: Final = re.compile(BASE64_PATTERN)

_MAX_PROBLEMS_SHOWN: Final = 20

JsonObject = dict[str, Any]


class BadRecords(ValueError):
    """The body parsed as JSON but is not what /route takes; `problems` says where and what, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:_MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        summary = f" (and {more} more)" if more else ""
        super().__init__(" ".join(shown) + summary)


def parse_json(body: bytes) -> object:
    """The body's JSON; ValueError with the position and a fix when it is not JSON."""
    if not body.strip():
        raise ValueError(
            'The body is empty. Send a JSON record such as {"value": "05/17/19 17:56:36"}, '
            "or the bare value with Content-Type: text/plain."
        )
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as why:
        # orjson also refuses what is not strictly JSON: invalid UTF-8, lone surrogates, NaN, nesting
        # deeper than 1024.
        raise ValueError(
            f"The body is not valid JSON: {why.msg} at line {why.lineno}, column {why.colno} "
            f"(character {why.pos}). Fix the JSON (UTF-8, RFC 8259), or send the bare value with "
            "Content-Type: text/plain."
        ) from None
    # orjson keeps the last of duplicate keys, silently. A body that orjson writes back byte for byte (what
    # the pump sends) has none; any other is read again, slowly, to find one.
    if not _written_back(document, body):
        # Nested deeper than Python's json reads (orjson reads 1024): no record is that deep, so decoding
        # refuses it anyway.
        with contextlib.suppress(RecursionError):
            json.loads(body, object_pairs_hook=_without_duplicates)
    return document


def _written_back(document: object, body: bytes) -> bool:
    try:
        return orjson.dumps(document) == body
    except orjson.JSONEncodeError:  # orjson writes 254 levels deep, reads 1024
        return False


def _without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) < len(pairs):
        seen: set[str] = set()
        key = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise ValueError(
            f'The key "{key}" appears twice in one object of the body; JSON readers disagree on which one '
            "counts, so give each field once."
        )
    return document


def parse_json_exactly(body: bytes) -> object:
    """The body's JSON with integers as sent, whatever their size, to quote them in a refusal: orjson reads
    an integer beyond 64 bits as a float, which prints as another number. ValueError if it cannot."""
    try:
        return json.loads(body)
    except RecursionError as why:
        raise ValueError("nested too deep") from why


def decode_record(obj: object, default_topic: str | None, index: int | None = None) -> Record:
    """One `RecordIn` as a Record; BadRecords naming every problem. `index` is its place in a batch."""
    problems: list[str] = []
    record = _decode(obj, default_topic, index, problems)
    if record is None:
        raise BadRecords(problems)
    return record


def batch_length(obj: object) -> int:
    """How many records a parsed batch body holds (0 when it is not a batch: decode_batch says why)."""
    items = obj.get("records") if type(obj) is dict else None
    return len(items) if type(items) is list else 0


def decode_batch(obj: object, default_topic: str | None) -> list[Record]:
    """`{"records": [RecordIn, ...]}` as Records, in order; BadRecords naming every problem in the batch."""
    if type(obj) is not dict:
        raise BadRecords([f'The body must be a JSON object {{"records": [...]}}, not {_json_type(obj)}.'])
    unknown = obj.keys() - BATCH_FIELDS
    if unknown:
        raise BadRecords([f'Unknown field {_names(unknown)} in the body: a batch is {{"records": [...]}}.'])
    items = obj.get("records")
    if type(items) is not list:
        raise BadRecords([f'"records" must be a JSON array of records, not {_json_type(items)}.'])
    problems: list[str] = []
    records: list[Record] = []
    append = records.append
    for index, item in enumerate(items):
        record = _decode(item, default_topic, index, problems)
        if record is not None:
            append(record)
    if problems:
        raise BadRecords(problems)
    return records


def _decode(obj: object, default_topic: str | None, index: int | None, problems: list[str]) -> Record | None:
    # The happy path is a few dict look-ups and type checks; every message is built only on a problem.
    if type(obj) is not dict:
        problems.append(f"{_where(index)} must be a JSON object (a record), not {_json_type(obj)}.")
        return None
    before = len(problems)
    if not obj.keys() <= RECORD_FIELDS:
        problems.append(
            f"{_where(index)} has unknown field {_names(obj.keys() - RECORD_FIELDS)}; "
            f"a record's fields are {_names(RECORD_FIELDS)}."
        )
    get = obj.get
    # Each field: the common case inline, anything else (bytes, a wrong type, both forms) to its function.
    text = get("value")
    if text is None and get("value_base64") is None:
        value = None
    elif type(text) is str and get("value_base64") is None and text.isascii():
        value = text.encode()
    else:
        value = _bytes(obj, "value", index, problems)
    text = get("key")
    if text is None and get("key_base64") is None:
        key = None
    elif type(text) is str and get("key_base64") is None and text.isascii():
        key = text.encode()
    else:
        key = _bytes(obj, "key", index, problems)
    headers = get("headers")
    headers = () if headers is None or headers == [] else _headers(headers, index, problems)
    topic = get("topic")
    if topic is None:
        topic = default_topic
        if topic is None:
            problems.append(
                f'{_where(index)} needs a "topic": no input binding destination is configured '
                f"({INPUT_DESTINATION}) to default to."
            )
    elif type(topic) is not str or not 0 < len(topic) <= MAX_TOPIC_LENGTH:
        problems.append(
            f"{_where(index)}.topic must be a topic name of 1 to {MAX_TOPIC_LENGTH} characters, "
            f"not {_shown(topic)}; leave it out to use the input binding's destination."
        )
    partition = get("partition")
    if partition is not None and not (type(partition) is int and 0 <= partition <= MAX_PARTITION):
        partition = _int(partition, "partition", 0, MAX_PARTITION, index, problems)
    offset = get("offset")
    if offset is not None and not (type(offset) is int and 0 <= offset <= MAX_LONG):
        offset = _int(offset, "offset", 0, MAX_LONG, index, problems)
    timestamp = get("timestamp")
    if timestamp is not None and not (type(timestamp) is int and NO_TIMESTAMP <= timestamp <= MAX_LONG):
        timestamp = _int(timestamp, "timestamp", NO_TIMESTAMP, MAX_LONG, index, problems)
    if len(problems) > before:
        return None
    return make_record(topic, value, key, headers, partition, offset, timestamp)  # type: ignore[arg-type]


def _bytes(obj: JsonObject, name: str, index: int | None, problems: list[str]) -> bytes | None:
    """`name` (text, stored as UTF-8) or `name_base64` (bytes, base64); null or absent for both is None."""
    text = obj.get(name)
    encoded = obj.get(name + "_base64")
    if text is not None:
        if encoded is not None:
            problems.append(
                f"{_where(index)} has both {name} and {name}_base64: give the {name} in only one of them "
                "(text in the first, base64 bytes in the second)."
            )
            return None
        if type(text) is not str:
            problems.append(
                f"{_where(index)}.{name} must be a string or null, not {_shown(text)}; "
                f'send numbers as text ("{name}": "42"), and bytes in {name}_base64.'
            )
            return None
        try:
            return text.encode()
        except UnicodeEncodeError:
            problems.append(
                f"{_where(index)}.{name} contains a lone surrogate (\\ud800-\\udfff), which is not Unicode "
                f"text; send the bytes base64-encoded in {name}_base64."
            )
            return None
    if encoded is None:
        return None
    return _base64(encoded, f"{_where(index)}.{name}_base64", problems)


def _base64(encoded: object, where: str, problems: list[str]) -> bytes | None:
    if type(encoded) is not str or _BASE64.match(encoded) is None:
        problems.append(
            f"{where} must be standard base64 with padding (RFC 4648, alphabet A-Z a-z 0-9 + /), not {_shown(encoded)}."
        )
        return None
    return binascii.a2b_base64(encoded)


def _headers(raw: object, index: int | None, problems: list[str]) -> tuple[Header, ...]:
    if type(raw) is not list:
        problems.append(f'{_where(index)}.headers must be an array of {{"key": ..., "value": ...}}, not {_shown(raw)}.')
        return ()
    headers: list[Header] = []
    for position, header in enumerate(raw):
        where = f"{_where(index)}.headers[{position}]"
        if type(header) is not dict:
            problems.append(f'{where} must be an object {{"key": ..., "value": ...}}, not {_shown(header)}.')
            continue
        if not header.keys() <= HEADER_FIELDS:
            problems.append(
                f"{where} has unknown field {_names(header.keys() - HEADER_FIELDS)}; "
                f"a header's fields are {_names(HEADER_FIELDS)}."
            )
            continue
        name = header.get("key")
        if type(name) is not str:
            problems.append(f"{where}.key must be the header's name as a string, not {_shown(name)}.")
            continue
        text = header.get("value")
        encoded = header.get("value_base64")
        if text is not None and encoded is not None:
            problems.append(f"{where} has both value and value_base64: give the value in only one of them.")
        elif text is not None:
            if type(text) is not str:
                problems.append(f"{where}.value must be a string or null, not {_shown(text)}.")
                continue
            try:
                headers.append((name, text.encode()))
            except UnicodeEncodeError:
                problems.append(
                    f"{where}.value contains a lone surrogate, which is not Unicode text; "
                    "send the bytes base64-encoded in value_base64."
                )
        elif encoded is not None:
            value = _base64(encoded, f"{where}.value_base64", problems)
            if value is not None:
                headers.append((name, value))
        else:
            # Kafka headers can carry a null value; Record types it as bytes, so b"" would lie: keep None.
            headers.append((name, None))  # type: ignore[arg-type]
    return tuple(headers)


def _int(value: object, name: str, minimum: int, maximum: int, index: int | None, problems: list[str]) -> int | None:
    if type(value) is float and value.is_integer() and minimum <= value <= maximum:
        value = int(value)  # JSON Schema's integer: 770.0 is 770
    if type(value) is not int or not minimum <= value <= maximum:
        problems.append(f"{_where(index)}.{name} must be an integer from {minimum} to {maximum}, not {_shown(value)}.")
        return None
    return value


def _where(index: int | None) -> str:
    return "record" if index is None else f"records[{index}]"


def _names(names: Any) -> str:
    return ", ".join(sorted(f'"{n}"' for n in names))


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _shown(value: object) -> str:
    """A value in a message: its JSON, cut short so that a huge value cannot flood the answer."""
    try:
        text = json.dumps(value)
    except RecursionError:  # nested deeper than json writes: its start says enough
        text = "[[[..." if isinstance(value, list) else "{...}"
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{_json_type(value)} {text}" if value is not None else "null"


# Results. Built as plain dicts and serialised by orjson: at 500 records per request this is the
# cheapest way that stays readable (under a microsecond per record, both steps).

DROPPED: Final[JsonObject] = {
    "status": "dropped",
    "topic": None,
    "partition": None,
    "key": None,
    "key_base64": None,
    "value": None,
    "value_base64": None,
    "headers": [],
    "timestamp": None,
    "error": None,
    "dead_letter_topic": None,
}


def routed(record: Record) -> JsonObject:
    """The RouteResult of a record the chain let through: its destination and content."""
    # _text_or_base64 inlined for the value and the key: this runs once per record of every batch.
    raw = record.value
    value = value_b64 = None
    if raw is not None:
        try:
            value = raw.decode()
        except UnicodeDecodeError:
            value_b64 = _base64_text(raw)
    raw = record.key
    key = key_b64 = None
    if raw is not None:
        try:
            key = raw.decode()
        except UnicodeDecodeError:
            key_b64 = _base64_text(raw)
    headers = record.headers
    return {
        "status": "routed",
        "topic": record.topic,
        "partition": record.partition,
        "key": key,
        "key_base64": key_b64,
        "value": value,
        "value_base64": value_b64,
        "headers": [_header(name, content) for name, content in headers] if headers else [],
        "timestamp": record.timestamp,
        "error": None,
        "dead_letter_topic": None,
    }


def failed(failure: Failure, dead_letter_topic: str | None) -> JsonObject:
    """The RouteResult of a record a stage failed on: where, why, and where it would be dead-lettered."""
    result = dict(DROPPED)
    result["status"] = "failed"
    result["headers"] = []
    result["error"] = {
        "stage": failure.stage,
        "alias": failure.alias,
        "class_name": failure.class_name,
        "exception_class": failure.exception_class,
        "message": failure.message,
        "retriable": failure.retriable,
    }
    result["dead_letter_topic"] = dead_letter_topic
    return result


def _header(name: str, raw: bytes | None) -> JsonObject:
    value, value_b64 = _text_or_base64(raw)
    return {"key": name, "value": value, "value_base64": value_b64}


def _text_or_base64(raw: bytes | None) -> tuple[str | None, str | None]:
    """UTF-8 bytes as text; other bytes as base64; None (a tombstone or null header) as neither."""
    if raw is None:
        return None, None
    try:
        return raw.decode(), None
    except UnicodeDecodeError:
        return None, _base64_text(raw)


def _base64_text(raw: bytes) -> str:
    return binascii.b2a_base64(raw, newline=False).decode("ascii")


def dumps(document: object) -> bytes:
    """Compact UTF-8 JSON, as /route answers it."""
    return orjson.dumps(document)
