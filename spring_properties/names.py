"""Spring's relaxed binding of property names: the one rule by which names from every source compare."""

from __future__ import annotations

import re

_INDEX = re.compile(r"\[([^\]]*)\]")


def relaxed(key: str) -> str:
    """The form in which Spring compares property names: elements lowercased, dashes dropped, `[i]` as an
    element. `autoCreateTopics` = `auto-create-topics`; `a.list[0]` = `a.list.0`.

    >>> relaxed("server.maxRequestSize"), relaxed("a.list[0]")
    ('server.maxrequestsize', 'a.list.0')
    """
    return ".".join(part.lower().replace("-", "") for part in _INDEX.sub(r".\1", key).split(".") if part)


def elements(key: str) -> list[str]:
    """The elements of `key` as spelled, `[i]` as an element of its own."""
    return [part for part in _INDEX.sub(r".\1", key).split(".") if part]


def environment_key(name: str) -> str:
    """The property an environment variable sets: `SPRING_CLOUD_STREAM_BINDINGS_EVEN_DESTINATION` ->
    `spring.cloud.stream.bindings.even.destination`. A name holding dots is taken as written."""
    return name if "." in name else name.lower().replace("_", ".")


def tail(key: str, prefix: str) -> str:
    """The part of `key` after `prefix`, both spelled in any relaxed way.

    >>> tail("spring.cloud.stream.kafka.binder.configuration.security.protocol", "SPRING.CLOUD.STREAM.KAFKA.BINDER")
    'configuration.security.protocol'
    """
    return ".".join(elements(key)[len(elements(prefix)) :])


def is_under(key: str, prefix: str) -> bool:
    """True when `key` is `prefix` or below it (relaxed)."""
    name, head = relaxed(key), relaxed(prefix)
    return name == head or name.startswith(head + ".")
