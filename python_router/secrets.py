"""Which properties hold secrets (Spring's rule, made stricter) and how their values are kept out of
/actuator/info, the startup log and error messages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MASK = "******"

# Spring Boot's Sanitizer masks keys *ending* with password, secret, key, token, or matching
# `.*credentials.*`, `vcap_services`, `sun.java.command`. We mask keys *containing* any of them (plus
# `jaas`, since `sasl.jaas.config` carries a password), so we mask more than Spring, never less.
SECRET_WORDS = ("password", "secret", "key", "token", "credentials", "jaas", "vcap_services", "sun.java.command")

# `scheme://user:password@host`: Spring masks the password part of such URIs; so do we, in any value.
_URI_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@]+:)(?P<password>[^\s@/]+)(?=@)")

# `password="..."` inside a JAAS config (Kafka's `sasl.jaas.config`): quoted with escapes, or bare.
_JAAS_PASSWORD = re.compile(r"""\bpassword\s*=\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s;"]+))""", re.I)

# Values this short would garble every message they appear in if scrubbed from free text; they are
# still masked wherever they are shown as a property value.
_SHORTEST_SCRUBBED = 3
_NOT_SECRET_VALUES = frozenset({"true", "false", "none", "null"})


def is_secret(key: str) -> bool:
    """True when a property with this name holds a secret (case-insensitive; any key spelling)."""
    lowered = key.lower().replace("-", "").replace("_", ".")
    return any(word.replace("_", ".") in lowered for word in SECRET_WORDS)


def mask_value(key: str, value: str) -> str:
    """The value as it may be shown: `******` for a secret key, else with any URI password masked."""
    if is_secret(key):
        return MASK
    return _URI_USERINFO.sub(lambda m: m["head"] + MASK, value)


def mask(properties: Mapping[str, str]) -> dict[str, str]:
    """A copy of `properties` safe to log or serve: secret values replaced by `******`."""
    return {key: mask_value(key, value) for key, value in properties.items()}


def secret_values(properties: Mapping[str, str]) -> frozenset[str]:
    """Every secret value that must never appear in a message: values of secret keys, passwords
    inside JAAS configs and inside URIs."""
    found: set[str] = set()
    for key, value in properties.items():
        if is_secret(key):
            found.add(value)
            for match in _JAAS_PASSWORD.finditer(value):
                found.add(_unescape(match["quoted"]) if match["quoted"] is not None else match["bare"])
        found.update(match["password"] for match in _URI_USERINFO.finditer(value))
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
    return _URI_USERINFO.sub(lambda m: m["head"] + MASK, text)


def _unescape(quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", quoted)
