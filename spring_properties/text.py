"""Property text as Spring reads it: a .properties file's bytes, and values that are not text at all.

Java's Properties.load, and Spring Boot's OriginTrackedPropertiesLoader after it (Boot 2 and 3), read a
.properties file as ISO-8859-1, with `\\uXXXX` escapes for anything else. A file written in UTF-8 is read as
UTF-8 here (as Java 9's PropertyResourceBundle does: UTF-8 first, ISO-8859-1 when the bytes are not UTF-8),
where Spring would read its non-ASCII characters as two Latin-1 characters each.

Python hands over a command-line argument or an environment variable whose bytes are not UTF-8 as a string
with lone surrogates (`surrogateescape`); such a value is not text, and is refused by name.
"""

from __future__ import annotations

import re
from typing import Final

_NOT_TEXT: Final = re.compile("[\ud800-\udfff]")


def decode_properties(data: bytes) -> str:
    """A .properties file's text: UTF-8 if its bytes are UTF-8 (ASCII is), else ISO-8859-1 (Java's encoding).

    >>> decode_properties("# caf\\u00e9".encode("latin-1")), decode_properties("# caf\\u00e9".encode("utf-8"))
    ('# café', '# café')
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("iso-8859-1")


def is_text(value: str) -> bool:
    """False when `value` holds bytes that were not UTF-8 (surrogate-escaped) or a lone UTF-16 surrogate."""
    return _NOT_TEXT.search(value) is None


def printable(value: str) -> str:
    """`value` with its undecodable bytes shown as `\\xff`, safe to print anywhere.

    >>> printable(b"ab\\xff".decode("utf-8", "surrogateescape"))
    'ab\\\\xff'
    """
    if is_text(value):
        return value
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that came from no byte (a `\ud800` escape in JSON)
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
