"""Keeping secret values out of free text (error messages, the startup log). Which properties are secret,
and how they are shown, is Spring's rule in sidecar/secrets.py: this module only adds the scrubbing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sidecar.secrets import MASK, is_secret, mask_url_passwords, mask_value, url_passwords
from sidecar.secrets import mask_secrets as mask

__all__ = ["MASK", "is_secret", "mask", "mask_value", "scrub", "secret_values"]

# `password="..."` inside a JAAS config (Kafka's `sasl.jaas.config`): quoted with escapes, or bare.
_JAAS_PASSWORD = re.compile(r"""\bpassword\s*=\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s;"]+))""", re.I)

# Values this short would garble every message they appear in if scrubbed from free text; they are
# still masked wherever they are shown as a property value.
_SHORTEST_SCRUBBED = 3
_NOT_SECRET_VALUES = frozenset({"true", "false", "none", "null"})


def secret_values(properties: Mapping[str, str]) -> frozenset[str]:
    """Every secret value that must never appear in a message: values of secret keys, passwords
    inside JAAS configs and inside URIs."""
    found: set[str] = set()
    for key, value in properties.items():
        if is_secret(key):
            found.add(value)
            for match in _JAAS_PASSWORD.finditer(value):
                found.add(_unescape(match["quoted"]) if match["quoted"] is not None else match["bare"])
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


def _unescape(quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", quoted)
