"""How error messages show a record's bytes: Python's repr, cut to about 100 bytes, with the full length."""

from __future__ import annotations

PREVIEW_BYTES = 100


def preview(value: bytes | None) -> str:
    """`b'05/17/19 17:56:3'` as repr shows it, or its first 100 bytes and the length when longer."""
    if value is None:
        return "null"
    if len(value) <= PREVIEW_BYTES:
        return repr(value)
    return f"{value[:PREVIEW_BYTES]!r}... ({len(value)} bytes)"
