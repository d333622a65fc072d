"""Spring's rule for secrets: a property whose name mentions a secret is shown as `******`, wherever shown."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

MASK: Final = "******"

# Spring Boot's sanitizer words plus `jaas` (Kafka's `sasl.jaas.config` holds a password inline).
SECRET_WORDS: Final = ("password", "secret", "jaas", "token", "credentials", "key")

# `scheme://user:password@host`: a broker or registry URL can carry a password in a property whose
# name mentions none of the words above (Spring masks these in `*uri*`/`*url*`/`*address*` properties).
_URL_USERINFO: Final = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+(?=@)")


def is_secret(name: str) -> bool:
    """True when the property `name` mentions a secret word (case-insensitive, anywhere in the name).

    >>> is_secret("spring.cloud.stream.kafka.binder.configuration.sasl.jaas.config")
    True
    >>> is_secret("SPRING_CLOUD_STREAM_BINDINGS_EVEN_DESTINATION")
    False
    """
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def mask_value(name: str, value: object) -> object:
    """What may be shown of `value` under property `name`: MASK for a secret, else the value with any
    password in a URL masked; mappings and lists are masked all the way down."""
    if is_secret(name):
        return MASK
    if isinstance(value, str):
        return _URL_USERINFO.sub(lambda m: m.group("head") + MASK, value)
    if isinstance(value, Mapping):
        return mask_secrets(value)
    if isinstance(value, list | tuple):
        return [mask_value(name, item) for item in value]
    return value


def mask_secrets(properties: Mapping[str, object]) -> dict[str, object]:
    """A copy of `properties` that is safe to show: see `mask_value`.

    >>> mask_secrets({"sasl.jaas.config": "... password=\\"s3cr3t\\";", "group": "router"})
    {'sasl.jaas.config': '******', 'group': 'router'}
    """
    return {str(name): mask_value(str(name), value) for name, value in properties.items()}
