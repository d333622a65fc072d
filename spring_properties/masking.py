"""Spring's rule for secrets, the one copy in python-router: a property whose name mentions a secret is shown
as `******` wherever it is shown (the actuator, the startup log, error messages), and a secret value is
scrubbed from any free text (an error message) it turns up in."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final, overload

MASK: Final = "******"

# Spring Boot's Sanitizer masks names *ending* with password, secret, key, token, or matching
# `.*credentials.*`, `vcap_services`, `sun.java.command`. We mask names *containing* any of them, plus
# `jaas` (Kafka's `sasl.jaas.config` holds a password inline): we mask more than Spring, never less.
SECRET_WORDS: Final = ("password", "secret", "jaas", "token", "credentials", "key", "vcap_services", "sun.java.command")

# `scheme://user:password@host`: a broker or registry URL can carry a password in a property whose name
# mentions none of the words above (Spring masks these in `*uri*`/`*url*`/`*address*` properties). The
# user may be empty (`redis://:password@host`); a scheme may hold `_` (`SASL_SSL://`).
_URL_USERINFO: Final = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+._-]*://[^:/@\s]*:)(?P<password>[^@/\s]+)(?=@)")

# Names compared in one spelling: lower case, `_` as `.` (environment variables), `-` dropped (kebab case).
_WORDS: Final = tuple(word.replace("_", ".") for word in SECRET_WORDS)

# `password="..."` inside a JAAS config (Kafka's `sasl.jaas.config`): quoted with escapes, or bare.
_JAAS_PASSWORD: Final = re.compile(r"""\bpassword\s*=\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s;"]+))""", re.I)

# Values this short would garble every message they appear in if scrubbed from free text; they are
# still masked wherever they are shown as a property value.
_SHORTEST_SCRUBBED: Final = 3
_NOT_SECRET_VALUES: Final = frozenset({"true", "false", "none", "null"})


def is_secret(name: str) -> bool:
    """True when the property `name` mentions a secret word, in any spelling Spring binds (dotted, kebab,
    upper case with underscores).

    >>> is_secret("spring.cloud.stream.kafka.binder.configuration.sasl.jaas.config")
    True
    >>> is_secret("SPRING_CLOUD_STREAM_BINDINGS_EVEN_DESTINATION")
    False
    """
    lowered = name.lower().replace("-", "").replace("_", ".")
    return any(word in lowered for word in _WORDS)


def mask_url_passwords(text: str) -> str:
    """`text` with the password of every `scheme://user:password@host` in it masked.

    >>> mask_url_passwords("SASL_SSL://alice:wonderland@kafka:9093")
    'SASL_SSL://alice:******@kafka:9093'
    """
    return _URL_USERINFO.sub(lambda m: m["head"] + MASK, text)


def url_passwords(text: str) -> list[str]:
    """The passwords of the `scheme://user:password@host` URLs in `text` (to scrub them from messages)."""
    return [match["password"] for match in _URL_USERINFO.finditer(text)]


@overload
def mask_value(name: str, value: str) -> str: ...
@overload
def mask_value(name: str, value: object) -> object: ...
def mask_value(name: str, value: object) -> object:
    """What may be shown of `value` under property `name`: MASK for a secret, else the value with any
    password in a URL masked; mappings and lists are masked all the way down."""
    if is_secret(name):
        return MASK
    if isinstance(value, str):
        return mask_url_passwords(value)
    if isinstance(value, Mapping):
        return mask_secrets(value)
    if isinstance(value, list | tuple):
        return [mask_value(name, item) for item in value]
    return value


@overload
def mask_secrets(properties: Mapping[str, str]) -> dict[str, str]: ...
@overload
def mask_secrets(properties: Mapping[str, object]) -> dict[str, object]: ...
def mask_secrets(properties: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `properties` that is safe to show: see `mask_value`.

    >>> mask_secrets({"sasl.jaas.config": "... password=\\"s3cr3t\\";", "group": "router"})
    {'sasl.jaas.config': '******', 'group': 'router'}
    """
    return {str(name): mask_value(str(name), value) for name, value in properties.items()}


def secret_values(properties: Mapping[str, str]) -> frozenset[str]:
    """Every secret value that must never appear in a message: values of secret keys, passwords
    inside JAAS configs and inside URIs."""
    found: set[str] = set()
    for key, value in properties.items():
        if is_secret(key):
            found.add(value)
            for match in _JAAS_PASSWORD.finditer(value):
                found.add(re.sub(r"\\(.)", r"\1", match["quoted"]) if match["quoted"] is not None else match["bare"])
        found.update(url_passwords(value))
    return frozenset(
        v for v in found if len(v.strip()) >= _SHORTEST_SCRUBBED and v.strip().lower() not in _NOT_SECRET_VALUES
    )


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of a secret value replaced by `******`, and URI passwords masked.

    Longest values first, so a password inside a longer secret (a JAAS config) cannot leave a
    fragment of the longer one behind.
    """
    for value in sorted(set(secrets), key=len, reverse=True):
        if len(value.strip()) >= _SHORTEST_SCRUBBED:
            text = text.replace(value, MASK)
    return mask_url_passwords(text)
