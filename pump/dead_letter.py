"""Kafka Connect's error reporters for a failed record: the dead-letter headers (`__connect.errors.*`) and the
error log line (`errors.log.enable`, `errors.log.include.messages`).

The dead letter is the original record, untouched (key, value, headers, timestamp); with
`errors.deadletterqueue.context.headers.enable=true` Connect's context headers are added, each replacing a
header of the same name the record may already carry (from an earlier trip through a dead-letter queue).
`connector.name` is the app's name and `task.id` its SCDF instance index.

A dead letter must fit where it goes: when the original record plus the context headers exceed the dead-letter
topic's limit, the largest context headers are cut (never the original's own key, value or headers), and the
cut is recorded in the `python_router.errors.trimmed` header.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

from transforms.errors import Failure
from transforms.record import Header, Record
from transforms.value_preview import preview

PREFIX: Final = "__connect.errors."
ORIGINAL_TOPIC: Final = PREFIX + "topic"
ORIGINAL_PARTITION: Final = PREFIX + "partition"
ORIGINAL_OFFSET: Final = PREFIX + "offset"
CONNECTOR_NAME: Final = PREFIX + "connector.name"
TASK_ID: Final = PREFIX + "task.id"
STAGE: Final = PREFIX + "stage"
CLASS_NAME: Final = PREFIX + "class.name"
EXCEPTION_CLASS_NAME: Final = PREFIX + "exception.class.name"
EXCEPTION_MESSAGE: Final = PREFIX + "exception.message"
EXCEPTION_STACKTRACE: Final = PREFIX + "exception.stacktrace"
# python-router's own (Connect has no such header): which context headers were cut, from what size to what.
TRIMMED: Final = "python_router.errors.trimmed"

# What a record costs on the wire beyond its key, value and headers, with some margin: a record batch's header
# (61 bytes) and one record's framing (length, attributes, timestamp and offset deltas, key and value
# lengths: about 25 bytes), and each header's two length varints.
RECORD_OVERHEAD: Final = 96
HEADER_OVERHEAD: Final = 6

log = logging.getLogger("pump.errors")


def dead_letter_headers(
    original: Record, failure: Failure, *, connector: str, task: int, context: bool
) -> list[tuple[str, bytes]]:
    """The dead letter's headers: the original's, plus Connect's context headers when `context` is set."""
    headers = _sendable(original.headers)
    if not context:
        return headers
    added = [
        (ORIGINAL_TOPIC, original.topic),
        (ORIGINAL_PARTITION, str(-1 if original.partition is None else original.partition)),
        (ORIGINAL_OFFSET, str(-1 if original.offset is None else original.offset)),
        (CONNECTOR_NAME, connector),
        (TASK_ID, str(task)),
        (STAGE, failure.stage),
        (CLASS_NAME, failure.class_name),
        (EXCEPTION_CLASS_NAME, failure.exception_class),
        (EXCEPTION_MESSAGE, failure.message),
    ]
    trace = failure.trace()
    if trace:
        added.append((EXCEPTION_STACKTRACE, trace))
    replaced = {name for name, _ in added}
    return [(n, v) for n, v in headers if n not in replaced] + [(n, v.encode()) for n, v in added]


def log_failure(record: Record, failure: Failure, *, include_messages: bool, action: str) -> None:
    """Connect's LogReporter: one ERROR line saying where, why, and (when asked) the record's content."""
    where = f"topic='{record.topic}', partition={record.partition}, offset={record.offset}"
    where += f", timestamp={record.timestamp}"
    if include_messages:
        header_names = ", ".join(name for name, _ in record.headers)
        where += f", key={preview(record.key)}, value={preview(record.value)}, headers=[{header_names}]"
    log.error(
        "Error encountered executing stage '%s' with alias '%s' and class '%s', "
        "where consumed record is {%s}: %s: %s. %s",
        failure.stage,
        failure.alias,
        failure.class_name,
        where,
        failure.exception_class,
        failure.message,
        action,
    )


def _sendable(headers: Sequence[Header]) -> list[tuple[str, bytes]]:
    # kafka-python cannot send a null header value; an empty one is the closest it can write.
    return [(name, value if value is not None else b"") for name, value in headers]


def record_size(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes]], header_bytes: int | None = None
) -> int:
    """An upper bound on the bytes a record takes alone in an uncompressed record batch, which is what a
    topic's max.message.bytes and the producer's max.request.size limit. `header_bytes`: headers_size(headers)
    when the caller knows it already (records sharing one headers list)."""
    if header_bytes is None:
        header_bytes = headers_size(headers)
    return RECORD_OVERHEAD + len(key or b"") + len(value or b"") + header_bytes


def headers_size(headers: Sequence[tuple[str, bytes]]) -> int:
    """The bytes `headers` add to a record, at most."""
    return sum(len(name.encode()) + len(data) + HEADER_OVERHEAD for name, data in headers)


def fit(
    key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]], limit: int
) -> list[tuple[str, bytes]]:
    """The dead letter's headers, cut so that the record fits `limit` bytes: Connect's context headers are
    shortened, or dropped when shortening is not enough, the largest first and where the record came from
    (topic, partition, offset) last; the cut is recorded in TRIMMED. Unchanged when the record fits. The
    original's own headers are never cut: when it cannot fit even so, the result is still too large."""
    if record_size(key, value, headers) <= limit:
        return headers
    order = sorted(
        (name for name, _ in headers if name.startswith(PREFIX)),
        key=lambda name: (name in _WHERE_FROM, -len(dict(headers)[name])),
    )
    current = list(headers)
    notes: list[str] = []
    for name in order:
        excess = record_size(key, value, [*current, _note(notes, limit)]) - limit
        if excess <= 0:
            break
        i = next(i for i, (n, _) in enumerate(current) if n == name)
        data, short = current[i][1], name.removeprefix(PREFIX)
        room = excess + len(short) + 30  # what this note adds
        if len(data) > room:
            kept = data[: len(data) - room].decode(errors="ignore").encode()  # whole UTF-8 characters
            current[i] = (name, kept)
            notes.append(f"{short} {len(data)}->{len(kept)} bytes")
        else:
            del current[i]
            notes.append(f"{short} dropped")
    return [*current, _note(notes, limit)]


_WHERE_FROM = (ORIGINAL_TOPIC, ORIGINAL_PARTITION, ORIGINAL_OFFSET)


def _note(notes: list[str], limit: int) -> tuple[str, bytes]:
    return TRIMMED, f"to fit {limit} bytes: {', '.join(notes)}".encode()
