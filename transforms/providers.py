"""Config providers in Kafka Connect's syntax, `${provider:[path:]key}`, resolved when the chain is built:
`${env:NAME}`, `${file:<path>:<key>}` (a .properties file) and `${binding:<name>}` (an SCDF binding's topic)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from transforms.config import invalid_value
from transforms.errors import ConfigError
from transforms.properties import parse_properties

# Connect's ConfigTransformer pattern: the provider, an optional path, the key; none may contain '}'.
# A placeholder without a colon (TimestampRouter's `${topic}`) is not a reference and is left alone.
REFERENCE = re.compile(r"\$\{([^}]*?):(?:([^}]*?):)?([^}]*?)\}")

PROVIDERS = ("binding", "env", "file")


class ConfigProviders:
    """Resolves `${...}` references against the caller's bindings, environment and files.

    >>> ConfigProviders(bindings={"even": "evenDest"}, env={}).resolve("k", "${binding:even}")
    'evenDest'
    """

    def __init__(self, *, bindings: Mapping[str, str], env: Mapping[str, str]) -> None:
        self._bindings = bindings
        self._env = env
        self._files: dict[str, dict[str, str] | str] = {}  # path -> its properties, or why it can't be read

    def resolve(self, name: str, value: str) -> str:
        """`value` with every reference replaced; raises ConfigError naming `name`, `value` and the fault."""
        if "${" not in value:
            return value
        problems: list[str] = []

        def replace(match: re.Match[str]) -> str:
            provider, path, key = match.group(1), match.group(2), match.group(3)
            try:
                return self._lookup(provider, path, key)
            except LookupError as exc:
                problems.append(invalid_value(value, name, f"{match.group(0)}: {exc.args[0]}"))
                return match.group(0)

        resolved = REFERENCE.sub(replace, value)
        if problems:
            raise ConfigError(problems)
        return resolved

    def _lookup(self, provider: str, path: str | None, key: str) -> str:
        if provider == "env":
            if path is not None:
                raise LookupError("the env provider takes no path; write ${env:NAME}")
            if key not in self._env:
                raise LookupError(f"environment variable {key} is not set; set it or change this value")
            return self._env[key]
        if provider == "binding":
            if path is not None:
                raise LookupError("the binding provider takes no path; write ${binding:NAME}")
            if key not in self._bindings:
                known = ", ".join(sorted(self._bindings)) or "none"
                raise LookupError(
                    f"no binding named {key!r} (known bindings: {known}); "
                    f"set spring.cloud.stream.bindings.{key}.destination"
                )
            return self._bindings[key]
        if provider == "file":
            if path is None:
                raise LookupError("the file provider needs a path and a key; write ${file:/path/to/file:key}")
            properties = self._read(path)
            if isinstance(properties, str):
                raise LookupError(properties)
            if key not in properties:
                raise LookupError(f"the properties file {path} has no key {key!r}")
            return properties[key]
        raise LookupError(f"unknown config provider {provider!r}; known providers: {', '.join(PROVIDERS)}")

    def _read(self, path: str) -> dict[str, str] | str:
        if path not in self._files:
            try:
                self._files[path] = parse_properties(Path(path).read_text(encoding="utf-8"), source=path)
            except OSError as exc:
                self._files[path] = f"cannot read the properties file {path}: {exc.strerror or exc}"
            except UnicodeDecodeError as exc:
                self._files[path] = f"the properties file {path} is not UTF-8 text ({exc.reason} at byte {exc.start})"
            except ConfigError as exc:
                self._files[path] = f"the properties file {path} is malformed: {'; '.join(exc.problems)}"
        return self._files[path]
