"""The headers of an output record: its own, with a `contentType` saying what the value is, written the way
Spring Cloud Stream writes it so that SCDF's log sink and other Spring apps read the value as text.

Spring's Kafka header mapper writes `contentType` JSON-encoded (`"text/plain"`, quotes included) and lists it
in `spring_json_header_types` (`{"contentType":"java.lang.String"}`); a Spring consumer decodes the headers
listed there and takes any other header as raw bytes. So the incoming `contentType` (the time source's says
`application/json`, which the value no longer is) is replaced, and `spring_json_header_types` is rewritten
to describe it, keeping its entries for the other headers. This is the one place that decides the encoding.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from transforms.record import Header

CONTENT_TYPE: Final = "contentType"
JSON_TYPES: Final = "spring_json_header_types"
TEXT: Final = b'"text/plain"'
BINARY: Final = b'"application/octet-stream"'
_STRING_TYPE: Final = "java.lang.String"
_ONLY_CONTENT_TYPE: Final = json.dumps({CONTENT_TYPE: _STRING_TYPE}, separators=(",", ":")).encode()


def output_headers(headers: Sequence[Header], value: bytes | None) -> list[tuple[str, bytes]]:
    """`headers` for the producer: a `contentType` for `value` (text/plain when it is UTF-8 text or null,
    application/octet-stream otherwise), in Spring's JSON header encoding.

    Records of one topic mostly carry the same headers, so the answer is built once per distinct headers and
    shared between their records: the caller must not modify it.

    >>> output_headers([("contentType", b'"application/json"')], b"Even timestamp: 05/17/19 17:56:36")
    [('contentType', b'"text/plain"'), ('spring_json_header_types', b'{"contentType":"java.lang.String"}')]
    """
    return _headers_for(tuple(headers), value is None or value.isascii() or _is_utf8(value))


@lru_cache(maxsize=256)
def _headers_for(headers: tuple[Header, ...], text: bool) -> list[tuple[str, bytes]]:
    content_type = TEXT if text else BINARY
    json_types = _ONLY_CONTENT_TYPE
    kept: list[tuple[str, bytes]] = []
    for name, raw in headers:
        if name == CONTENT_TYPE:
            continue
        if name == JSON_TYPES:
            json_types = _with_content_type(raw)
            continue
        # kafka-python cannot send a null header value; an empty one is the closest it can write.
        kept.append((name, raw if raw is not None else b""))
    kept.append((CONTENT_TYPE, content_type))
    kept.append((JSON_TYPES, json_types))
    return kept


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode()
    except UnicodeDecodeError:
        return False
    return True


@lru_cache(maxsize=64)  # an input topic's records carry a handful of distinct values: parse each once
def _with_content_type(raw: bytes | None) -> bytes:
    """The incoming `spring_json_header_types` with contentType declared a String; just that if unreadable."""
    try:
        types = json.loads(raw or b"")
    except ValueError:
        return _ONLY_CONTENT_TYPE
    if not isinstance(types, dict):
        return _ONLY_CONTENT_TYPE
    types[CONTENT_TYPE] = _STRING_TYPE
    return json.dumps(types, separators=(",", ":")).encode()
