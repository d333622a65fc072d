"""Spring Boot's property sources, highest precedence first: `--key=value` arguments, SPRING_APPLICATION_JSON,
environment variables (relaxed binding), application properties files; looked up by relaxed name."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from transforms.errors import ConfigError
from transforms.properties import parse_properties

from .masking import mask_value
from .names import environment_key, is_under, relaxed, tail
from .problems import Problems, SettingsError, invalid_value
from .text import decode_properties, is_text, printable

APPLICATION_JSON: Final = "spring.application.json"
CONFIG_LOCATION: Final = "spring.config.location"
DEFAULT_CONFIG_FILE: Final = "/config/application.properties"  # SCDF's k8s deployer writes it for indexed apps
# The roots of the environment variables that are properties (PATH, HOME and the like are not).
ENVIRONMENT_ROOTS: Final = frozenset(
    {
        "spring",
        "server",
        "management",
        "transforms",
        "predicates",
        "errors",
        "router",
        "pythonrouter",
        "logging",
        "info",
    }
)


@dataclass(frozen=True, slots=True)
class Property:
    """One property as a source gave it: the name as spelled there, the value, and where it came from."""

    key: str
    value: str
    source: str


class PropertySources:
    """Layers of properties, highest precedence first, looked up by relaxed name."""

    def __init__(self, layers: Sequence[Mapping[str, Property]]) -> None:
        merged: dict[str, Property] = {}
        for layer in reversed(layers):  # lowest first, so higher layers overwrite
            for name, prop in layer.items():
                merged[relaxed(name)] = prop
        self._merged = merged

    @classmethod
    def of(cls, properties: Mapping[str, str], source: str = "") -> PropertySources:
        """One layer from plain `key: value` pairs (tests, and properties known only as a mapping)."""
        return cls([{key: Property(key, value, source) for key, value in properties.items()}])

    def get(self, key: str) -> Property | None:
        return self._merged.get(relaxed(key))

    def under(self, prefix: str) -> dict[str, Property]:
        """Every property below `prefix`, keyed by the rest of its name as its source spelled it."""
        return {
            tail(p.key, prefix): p
            for name, p in self._merged.items()
            if is_under(name, prefix) and name != relaxed(prefix)
        }

    def __iter__(self) -> Iterator[Property]:
        return iter(self._merged.values())

    def raw(self) -> dict[str, str]:
        """Every property's value, by name as its source spelled it."""
        return {prop.key: prop.value for prop in self._merged.values()}


def read_sources(
    argv: Sequence[str],
    environ: Mapping[str, str],
    problems: Problems,
    *,
    read_file: Callable[[str], bytes] = lambda path: Path(path).read_bytes(),
    exists: Callable[[str], bool] = os.path.isfile,
) -> tuple[PropertySources, tuple[str, ...]]:
    """Every source, highest precedence first, and the properties files read. Each problem is added to
    `problems` and the property left out; a value that is not text is one of them."""
    arguments = parse_arguments(argv, problems)
    json_layer = _application_json(arguments, environ, problems)
    # The JSON itself is not a property: it would show every secret inside it, unmasked.
    arguments = {k: p for k, p in arguments.items() if relaxed(k) != relaxed(APPLICATION_JSON)}
    layers = [arguments, json_layer, parse_environment(environ)]
    files = _config_files(PropertySources(layers), exists, problems)
    for path in reversed(files):  # a later location overrides an earlier one, as in Spring
        with problems.collect():
            layers.append(read_properties_file(path, read_file))
    return PropertySources([_text_only(layer, problems) for layer in layers]), tuple(files)


def _text_only(layer: Mapping[str, Property], problems: Problems) -> dict[str, Property]:
    kept: dict[str, Property] = {}
    for name, prop in layer.items():
        if is_text(prop.key) and is_text(prop.value):
            kept[name] = prop
        else:
            why = (
                "it is not text (bytes that are not UTF-8): write it in UTF-8, "
                "or as \\uXXXX escapes in a .properties file"
            )
            problems.add(invalid_value(prop.key, prop.value, why, prop.source))
    return kept


def read_properties_file(
    path: str,
    read_file: Callable[[str], bytes] = lambda p: Path(p).read_bytes(),
    *,
    what: str = "properties file",
    fix: str = f"fix {CONFIG_LOCATION} or the file's permissions",
) -> dict[str, Property]:
    """A .properties file as Spring reads it (ISO-8859-1 or UTF-8, `\\uXXXX` escapes). Raises SettingsError
    naming the file (`what`, and `fix` when it cannot be read), and each malformed line without its content
    (it may hold a secret)."""
    try:
        text = decode_properties(read_file(path))
    except OSError as exc:
        raise SettingsError(f"Cannot read {what} {path} ({exc.strerror or exc}): {fix}") from None
    try:
        parsed = parse_properties(text, source=path)
    except ConfigError as exc:
        raise SettingsError([re.sub(r" in (['\"]).*\1$", "", p) + ": fix that line" for p in exc.problems]) from None
    return {key: Property(key, value, f"file {path}") for key, value in parsed.items()}


def parse_arguments(argv: Sequence[str], problems: Problems) -> dict[str, Property]:
    """`--key=value` arguments, split on the first `=` (SCDF's exec entry-point style)."""
    found: dict[str, Property] = {}
    for arg in argv:
        key, sep, value = arg[2:].partition("=")
        if not arg.startswith("--"):
            shown = printable(mask_value(arg.partition("=")[0], arg))
            problems.add(
                f"Unexpected command-line argument {shown!r}: python-router takes only --key=value arguments, "
                "as SCDF passes them (for example --server.port=8080)"
            )
        elif not sep:
            problems.add(
                f"Command-line argument --{printable(key)} has no value: write --{printable(key)}=<value> "
                "(split on the first '=')"
            )
        elif not key.strip():
            problems.add(f"Command-line argument {printable(mask_value('', arg))!r} has no property name before '='")
        elif (previous := found.get(relaxed(key))) is not None and previous.value != value:
            problems.add(
                f"Property {printable(key)} is given twice on the command line, as "
                f"{printable(mask_value(key, previous.value))!r} and {printable(mask_value(key, value))!r}: keep one"
            )
        else:
            found[relaxed(key)] = Property(key, value, f"command-line argument --{key}")
    return {p.key: p for p in found.values()}


def parse_application_json(text: str, source: str, problems: Problems) -> dict[str, Property]:
    """Spring's SPRING_APPLICATION_JSON: flat dotted keys or nested objects; numbers and booleans as
    text, lists as `key[0]`, nulls absent."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.add(
            f"{source} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}): fix it or unset it"
        )
        return {}
    if not isinstance(document, dict):
        kind = type(document).__name__
        problems.add(f'{source} must be a JSON object of properties ({{"key": "value"}}), not a JSON {kind}')
        return {}
    flat: dict[str, str] = {}
    _flatten(document, "", flat)
    return {key: Property(key, value, source) for key, value in flat.items()}


def _flatten(node: Any, path: str, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(value, f"{path}.{key}" if path else str(key), out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _flatten(value, f"{path}[{index}]", out)
    elif isinstance(node, bool):
        out[path] = "true" if node else "false"
    elif node is not None:
        out[path] = str(node)


def parse_environment(environ: Mapping[str, str]) -> dict[str, Property]:
    """Environment variables as properties, by Spring's relaxed binding, for the roots this app reads."""
    found: dict[str, Property] = {}
    for name, value in environ.items():
        key = environment_key(name)
        if relaxed(key).split(".")[0] in ENVIRONMENT_ROOTS and relaxed(key) != relaxed(APPLICATION_JSON):
            found[key] = Property(key, value, f"environment variable {printable(name)}")
    return found


def _application_json(
    arguments: Mapping[str, Property], environ: Mapping[str, str], problems: Problems
) -> dict[str, Property]:
    # Spring reads spring.application.json from the highest source that has it, only that one.
    for prop in arguments.values():
        if relaxed(prop.key) == relaxed(APPLICATION_JSON):
            return parse_application_json(prop.value, f"--{prop.key}", problems)
    for name in ("SPRING_APPLICATION_JSON", APPLICATION_JSON):
        if name in environ:
            return parse_application_json(environ[name], name, problems)
    return {}


def _config_files(sources: PropertySources, exists: Callable[[str], bool], problems: Problems) -> list[str]:
    given = sources.get(CONFIG_LOCATION)
    if given is None or not given.value.strip():
        return [DEFAULT_CONFIG_FILE] if exists(DEFAULT_CONFIG_FILE) else []
    files: list[str] = []
    for entry in (part.strip() for part in given.value.split(",") if part.strip()):
        optional = entry.startswith("optional:")
        path = entry.removeprefix("optional:").removeprefix("file:")
        if path.endswith("/"):
            path += "application.properties"
        if not path.endswith(".properties"):
            why = (
                "python-router reads .properties files only (not YAML); "
                "give a path ending in .properties or a directory/"
            )
            problems.add(invalid_value(CONFIG_LOCATION, entry, why, given.source))
        elif exists(path):
            files.append(path)
        elif not optional:
            why = f"no file {path}; fix the path, or write optional:{path} to allow it to be absent"
            problems.add(invalid_value(CONFIG_LOCATION, entry, why, given.source))
    return files
