"""SCDF / Spring Boot property resolution: command line, SPRING_APPLICATION_JSON, environment (relaxed
binding), application properties files and defaults, validated at startup into one immutable Settings."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, cast

from pump.config import KAFKA_CLIENT, kafka_client
from python_router.kafka_config import Client, ClientSettingError, ClientSettings, client_settings
from python_router.secrets import mask, mask_value, scrub, secret_values
from sidecar.settings import FALSE, TRUE  # Spring's StringToBooleanConverter
from transforms import parse_properties
from transforms.errors import ConfigError

# Property names, spelled once, as a user writes them (`app.python-router.<name>=...` in SCDF).
BINDINGS = "spring.cloud.stream.bindings"
INPUT_GROUP = "spring.cloud.stream.bindings.input.group"
BROKERS = "spring.cloud.stream.kafka.binder.brokers"
DEFAULT_BROKER_PORT = "spring.cloud.stream.kafka.binder.defaultBrokerPort"
CONFIGURATION = "spring.cloud.stream.kafka.binder.configuration"
CONSUMER_PROPERTIES = "spring.cloud.stream.kafka.binder.consumerProperties"
PRODUCER_PROPERTIES = "spring.cloud.stream.kafka.binder.producerProperties"
INPUT_CONSUMER_CONFIGURATION = "spring.cloud.stream.kafka.bindings.input.consumer.configuration"
START_OFFSET = "spring.cloud.stream.kafka.bindings.input.consumer.startOffset"
AUTO_CREATE_TOPICS = "spring.cloud.stream.kafka.binder.autoCreateTopics"
AUTO_ADD_PARTITIONS = "spring.cloud.stream.kafka.binder.autoAddPartitions"
REPLICATION_FACTOR = "spring.cloud.stream.kafka.binder.replicationFactor"
MIN_PARTITION_COUNT = "spring.cloud.stream.kafka.binder.minPartitionCount"
SERVER_PORT = "server.port"
SERVER_ADDRESS = "server.address"
APPLICATION_NAME = "spring.application.name"
STREAM_NAME = "spring.cloud.dataflow.stream.name"
APP_LABEL = "spring.cloud.dataflow.stream.app.label"
APPLICATION_GROUP = "spring.cloud.application.group"  # env SPRING_CLOUD_APPLICATION_GROUP (SCDF: stream name)
APPLICATION_GUID = "spring.cloud.application.guid"  # env SPRING_CLOUD_APPLICATION_GUID
INSTANCE_INDEX = "spring.cloud.stream.instanceIndex"
INSTANCE_COUNT = "spring.cloud.stream.instanceCount"
CONFIG_LOCATION = "spring.config.location"
APPLICATION_JSON = "spring.application.json"

# The bindings python-router always has; each defaults to a topic of its own name, as in Spring.
REQUIRED_BINDINGS = ("input", "even", "odd")
DEFAULT_CONFIG_FILE = "/config/application.properties"  # SCDF's k8s deployer writes it for indexed apps
# Environment variables that become properties (by Spring's relaxed binding) in `Settings.raw`.
ENVIRONMENT_ROOTS = frozenset(
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
# Platforms' instance-index variables, after the property, as Spring Cloud Stream reads them.
INDEX_VARIABLES = ("INSTANCE_INDEX", "SPRING_APPLICATION_INDEX", "CF_INSTANCE_INDEX")

_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")
_HOST = re.compile(r"[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.%A-Za-z]+\]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9_+.-]*://")


class SettingsError(Exception):
    """A property is missing, malformed or unusable. The message is one line that names the property,
    its value (masked if secret), where it came from, and what to do."""


def uniform(key: str) -> str:
    """Spring's relaxed form of a property name, for comparing names across sources: elements
    lowercased, dashes dropped, `[i]` as an element. `autoCreateTopics` = `auto-create-topics`."""
    key = re.sub(r"\[([^\]]*)\]", r".\1", key)
    return ".".join(part.lower().replace("-", "") for part in key.split(".") if part)


def environment_key(name: str) -> str:
    """The property an environment variable sets: `SPRING_CLOUD_STREAM_BINDINGS_EVEN_DESTINATION` ->
    `spring.cloud.stream.bindings.even.destination`. A name holding dots is taken as written."""
    return name if "." in name else name.lower().replace("_", ".")


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
                merged[uniform(name)] = prop
        self._merged = merged

    def get(self, key: str) -> Property | None:
        return self._merged.get(uniform(key))

    def under(self, prefix: str) -> dict[str, Property]:
        """Every property below `prefix`, keyed by the rest of its name as its source spelled it."""
        head = uniform(prefix) + "."
        found: dict[str, Property] = {}
        for name, prop in self._merged.items():
            if name.startswith(head):
                found[_tail(prop.key, prefix)] = prop
        return found

    def __iter__(self) -> Iterator[Property]:
        return iter(self._merged.values())


def _tail(key: str, prefix: str) -> str:
    """The part of `key` after `prefix`, where both may be spelled differently (relaxed)."""
    want = len(uniform(prefix).split("."))
    parts = re.sub(r"\[([^\]]*)\]", r".\1", key).split(".")
    parts = [p for p in parts if p]
    return ".".join(parts[want:])


# --- the sources ---------------------------------------------------------------------------------


def parse_arguments(argv: Sequence[str]) -> dict[str, Property]:
    """`--key=value` arguments, split on the first `=` (SCDF's exec entry-point style)."""
    found: dict[str, Property] = {}
    for arg in argv:
        if not arg.startswith("--"):
            shown = mask_value(arg.partition("=")[0], arg)
            raise SettingsError(
                f"Unexpected command-line argument {shown!r}: python-router takes only --key=value "
                f"arguments, as SCDF passes them (for example --server.port=8080)"
            )
        key, sep, value = arg[2:].partition("=")
        if not sep:
            raise SettingsError(
                f"Command-line argument --{key} has no value: write --{key}=<value> (split on the first '=')"
            )
        if not key.strip():
            raise SettingsError(f"Command-line argument {mask_value('', arg)!r} has no property name before '='")
        previous = found.get(uniform(key))
        if previous is not None and previous.value != value:
            raise SettingsError(
                f"Property {key} is given twice on the command line, as {mask_value(key, previous.value)!r} "
                f"and {mask_value(key, value)!r}: keep one"
            )
        found[uniform(key)] = Property(key, value, "command line")
    return {p.key: p for p in found.values()}


def parse_application_json(text: str, source: str = "SPRING_APPLICATION_JSON") -> dict[str, Property]:
    """Spring's SPRING_APPLICATION_JSON: flat dotted keys or nested objects; numbers and booleans as
    text, lists as `key[0]`, nulls absent."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"{source} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}): fix it or unset it"
        ) from None
    if not isinstance(document, dict):
        raise SettingsError(
            f'{source} must be a JSON object of properties ({{"key": "value"}}), not a JSON {type(document).__name__}'
        )
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
    elif node is None:
        return
    elif isinstance(node, bool):
        out[path] = "true" if node else "false"
    else:
        out[path] = str(node)


def parse_environment(environ: Mapping[str, str]) -> dict[str, Property]:
    """Environment variables as properties, by Spring's relaxed binding, for the roots this app reads
    (PATH, HOME and the like are not properties)."""
    found: dict[str, Property] = {}
    for name, value in environ.items():
        key = environment_key(name)
        if uniform(key).split(".")[0] in ENVIRONMENT_ROOTS and uniform(key) != uniform(APPLICATION_JSON):
            found[key] = Property(key, value, f"environment variable {name}")
    return found


def _read_text(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def parse_properties_file(path: str, text: str) -> dict[str, Property]:
    try:
        parsed = parse_properties(text, source=path)
    except ConfigError as exc:
        # The offending line can hold a secret: report where, not what.
        first = re.sub(r" in (['\"]).*\1$", "", exc.problems[0])
        raise SettingsError(f"Cannot read properties file {first}: fix that line") from None
    return {key: Property(key, value, f"file {path}") for key, value in parsed.items()}


# --- the settings --------------------------------------------------------------------------------


class Bindings(Mapping[str, str]):
    """Binding name -> destination topic, looked up by relaxed name (env gives `myinput` for `myInput`)."""

    def __init__(self, destinations: Mapping[str, str]) -> None:
        self._by_name = dict(destinations)
        self._by_uniform = {uniform(name): topic for name, topic in destinations.items()}

    def __getitem__(self, name: str) -> str:
        if name in self._by_name:
            return self._by_name[name]
        return self._by_uniform[uniform(name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return f"Bindings({self._by_name!r})"


StartOffset = Literal["earliest", "latest", "none"]


@dataclass(frozen=True)
class Settings:
    """Everything the app needs from its properties, validated. Build with `Settings.resolve`.

    >>> s = Settings.resolve(["--spring.cloud.stream.bindings.even.destination=evenDest"], {})
    >>> s.bindings["even"], s.brokers
    ('evenDest', ('localhost:9092',))
    """

    bindings: Bindings
    group: str
    brokers: tuple[str, ...]
    kafka: ClientSettings
    start_offset: StartOffset
    auto_create_topics: bool
    auto_add_partitions: bool
    replication_factor: int
    min_partition_count: int
    server_port: int
    server_address: str
    app_name: str
    stream_name: str | None
    app_label: str | None
    instance_index: int
    instance_count: int
    application_guid: str | None
    config_files: tuple[str, ...]
    raw: Mapping[str, str] = field(repr=False)
    sources: Mapping[str, str] = field(repr=False)
    secrets: frozenset[str] = field(repr=False)

    @classmethod
    def resolve(
        cls,
        argv: Sequence[str],
        environ: Mapping[str, str],
        *,
        read_file: Callable[[str], str] = _read_text,
        exists: Callable[[str], bool] = os.path.isfile,
    ) -> Settings:
        """Read every source, highest precedence first: `--key=value` arguments, SPRING_APPLICATION_JSON,
        environment variables, application properties files, defaults. Raises SettingsError (one line,
        secrets masked) for the first malformed property."""
        layers: list[dict[str, Property]] = []
        try:
            arguments = parse_arguments(argv)
            layers.append(_application_json(arguments, environ))
            # The JSON itself is not a property: it would show every secret inside it, unmasked.
            json_keys = [k for k in arguments if uniform(k) == uniform(APPLICATION_JSON)]
            layers.insert(0, {k: p for k, p in arguments.items() if k not in json_keys})
            environment = parse_environment(environ)
            layers.append(environment)
            above_files = PropertySources(layers)
            files = _config_files(above_files, exists)
            for path in reversed(files):  # a later location overrides an earlier one, as in Spring
                try:
                    text = read_file(path)
                except OSError as exc:
                    raise SettingsError(
                        f"Cannot read properties file {path} ({exc.strerror or exc}): fix {CONFIG_LOCATION} "
                        f"or the file's permissions"
                    ) from None
                layers.append(parse_properties_file(path, text))
            return _settings(PropertySources(layers), environ, tuple(files))
        except SettingsError as exc:
            known = secret_values({p.key: p.value for layer in layers for p in layer.values()})
            raise SettingsError(scrub(str(exc), known)) from None

    def get(self, key: str, default: str | None = None) -> str | None:
        """A property by any relaxed spelling of its name (`auto-create-topics`, `autoCreateTopics`)."""
        wanted = uniform(key)
        for name, value in self.raw.items():
            if uniform(name) == wanted:
                return value
        return default

    def section(self, *prefixes: str, vocabulary: Iterable[str] = ()) -> dict[str, str]:
        """The properties under `prefixes` (`"transforms", "predicates", "errors"`), to layer over a
        Connect-style file. Names that came from environment variables are lowercase; each of their
        elements is respelled after a word of `vocabulary`, of the other sources' names, or of a
        section's alias lists (`transforms=parity,labelEven`), so TRANSFORMS_LABELEVEN_TEMPLATE
        becomes `transforms.labelEven.template`."""
        heads = tuple(uniform(p) for p in prefixes)
        chosen = {k: v for k, v in self.raw.items() if _under_any(uniform(k), heads)}
        alias_lists = (v for k, v in chosen.items() if uniform(k) in heads)
        spelled = (k for k in self.raw if not self._from_environment(k))
        words = _words(vocabulary, spelled, alias_lists)
        result: dict[str, str] = {}
        for key, value in chosen.items():
            if self._from_environment(key):
                key = ".".join(words.get(part.replace("-", ""), part) for part in key.split("."))
            result[key] = value
        return result

    def masked(self) -> dict[str, str]:
        """Every property, secrets as `******`: for the startup log and /actuator/info."""
        return mask(self.raw)

    def scrub(self, text: str) -> str:
        """`text` with every secret value of these settings replaced by `******` (for error messages)."""
        return scrub(text, self.secrets)

    def describe(self) -> dict[str, object]:
        """A summary for the startup log and /actuator/info; nothing secret in it."""
        return {
            "app": self.app_name,
            "stream": self.stream_name,
            "label": self.app_label,
            "bindings": dict(self.bindings),
            "group": self.group,
            "brokers": list(self.brokers),
            "kafka_client": self.kafka.client,
            "security_protocol": self.kafka.security_protocol,
            "sasl_mechanism": self.kafka.sasl_mechanism,
            "start_offset": self.start_offset,
            "instance": {"index": self.instance_index, "count": self.instance_count, "guid": self.application_guid},
            "server": {"address": self.server_address, "port": self.server_port},
            "config_files": list(self.config_files),
        }

    def _from_environment(self, key: str) -> bool:
        return self.sources.get(key, "").startswith("environment variable ")


def _under_any(name: str, heads: tuple[str, ...]) -> bool:
    return any(name == head or name.startswith(head + ".") for head in heads)


def _words(*groups: Iterable[str]) -> dict[str, str]:
    """Relaxed form -> spelling, for every word-like element found in `groups` (first spelling wins)."""
    words: dict[str, str] = {}
    for group in groups:
        for text in group:
            for part in re.split(r"[.,\s\[\]]+", text):
                if re.fullmatch(r"[A-Za-z0-9_-]+", part):
                    words.setdefault(part.lower().replace("-", ""), part)
    return words


def _application_json(arguments: Mapping[str, Property], environ: Mapping[str, str]) -> dict[str, Property]:
    # Spring reads spring.application.json from the highest source that has it, only that one.
    for prop in arguments.values():
        if uniform(prop.key) == uniform(APPLICATION_JSON):
            return parse_application_json(prop.value, f"--{prop.key}")
    for name in ("SPRING_APPLICATION_JSON", APPLICATION_JSON):
        if name in environ:
            return parse_application_json(environ[name], name)
    return {}


def _config_files(sources: PropertySources, exists: Callable[[str], bool]) -> list[str]:
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
            raise SettingsError(
                f"Invalid value {entry!r} for property {CONFIG_LOCATION} (from {given.source}): python-router "
                f"reads .properties files only (not YAML); give a path ending in .properties or a directory/"
            )
        if exists(path):
            files.append(path)
        elif not optional:
            raise SettingsError(
                f"Invalid value {entry!r} for property {CONFIG_LOCATION} (from {given.source}): no file {path}; "
                f"fix the path, or write optional:{path} to allow it to be absent"
            )
    return files


class _Reader:
    """Typed, validated reads of single properties; every error names the property and its source."""

    def __init__(self, sources: PropertySources) -> None:
        self.sources = sources

    def text(self, key: str) -> str | None:
        prop = self.sources.get(key)
        return prop.value.strip() if prop is not None and prop.value.strip() else None

    def fail(self, key: str, problem: str) -> SettingsError:
        prop = self.sources.get(key)
        if prop is None:
            return SettingsError(f"Property {key}: {problem}")
        shown = mask_value(prop.key, prop.value)
        return SettingsError(f"Invalid value {shown!r} for property {prop.key} (from {prop.source}): {problem}")

    def integer(self, key: str, default: int, *, minimum: int, maximum: int | None = None, hint: str = "") -> int:
        prop = self.sources.get(key)
        if prop is None:
            return default
        try:
            number = int(prop.value.strip())
        except ValueError:
            raise self.fail(key, f"not a whole number{hint}") from None
        if number < minimum or (maximum is not None and number > maximum):
            bounds = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
            raise self.fail(key, f"must be {bounds}{hint}")
        return number

    def boolean(self, key: str, default: bool) -> bool:
        prop = self.sources.get(key)
        if prop is None:
            return default
        lowered = prop.value.strip().lower()
        if lowered in TRUE:
            return True
        if lowered in FALSE:
            return False
        raise self.fail(key, "not a boolean: write true or false")


def _settings(sources: PropertySources, environ: Mapping[str, str], files: tuple[str, ...]) -> Settings:
    read = _Reader(sources)
    bindings = _bindings(sources, read)
    app_name = read.text(APPLICATION_NAME) or "python-router"
    stream_name = read.text(STREAM_NAME) or read.text(APPLICATION_GROUP)
    group = read.text(INPUT_GROUP) or stream_name or app_name
    brokers = _brokers(sources, read)
    start_offset, kafka = _kafka(sources, read, brokers)
    instance_index = _instance_index(read, environ)
    raw = {prop.key: prop.value for prop in sources}
    return Settings(
        bindings=bindings,
        group=group,
        brokers=brokers,
        kafka=kafka,
        start_offset=start_offset,
        auto_create_topics=read.boolean(AUTO_CREATE_TOPICS, True),
        auto_add_partitions=read.boolean(AUTO_ADD_PARTITIONS, False),
        replication_factor=_replication_factor(read),
        min_partition_count=read.integer(MIN_PARTITION_COUNT, 1, minimum=1),
        server_port=read.integer(SERVER_PORT, 8080, minimum=0, maximum=65535, hint=" (a TCP port; 0 picks a free one)"),
        server_address=read.text(SERVER_ADDRESS) or "0.0.0.0",
        app_name=app_name,
        stream_name=stream_name,
        app_label=read.text(APP_LABEL),
        instance_index=instance_index,
        instance_count=read.integer(INSTANCE_COUNT, 1, minimum=1),
        application_guid=read.text(APPLICATION_GUID),
        config_files=files,
        raw=MappingProxyType(raw),
        sources=MappingProxyType({prop.key: prop.source for prop in sources}),
        secrets=secret_values(raw),
    )


def _bindings(sources: PropertySources, read: _Reader) -> Bindings:
    destinations: dict[str, str] = {}
    for tail, prop in sources.under(BINDINGS).items():
        name, _, attribute = tail.rpartition(".")
        if uniform(attribute) != "destination" or not name or "." in name:
            continue
        topic = prop.value.strip()
        key = prop.key
        if not topic:
            raise read.fail(key, f"the destination is empty: set it to the Kafka topic of binding '{name}'")
        if "," in topic:
            raise read.fail(key, "python-router binds one topic per binding: give a single topic name")
        if not _TOPIC.fullmatch(topic) or topic in (".", ".."):
            raise read.fail(
                key, "not a valid Kafka topic name (letters, digits, '.', '_' and '-'; 1 to 249 characters)"
            )
        destinations[name] = topic
    present = {uniform(name) for name in destinations}
    for name in REQUIRED_BINDINGS:
        if name not in present:
            destinations[name] = name  # Spring's default: a binding's destination is its name
    rank = {name: index for index, name in enumerate(REQUIRED_BINDINGS)}  # input, even, odd, then the rest
    ordered = sorted(destinations, key=lambda name: (rank.get(uniform(name), len(rank)), name))
    return Bindings({name: destinations[name] for name in ordered})


def _brokers(sources: PropertySources, read: _Reader) -> tuple[str, ...]:
    default_port = read.integer(DEFAULT_BROKER_PORT, 9092, minimum=1, maximum=65535)
    # As in Spring's binder, a bootstrap.servers in the client configuration wins over `brokers`.
    key = f"{CONFIGURATION}.bootstrap.servers"
    prop = sources.get(key)
    if prop is None or not prop.value.strip():
        key, prop = BROKERS, sources.get(BROKERS)
    if prop is None:
        return (f"localhost:{default_port}",)
    brokers: list[str] = []
    for entry in (part.strip() for part in prop.value.split(",")):
        if not entry:
            continue
        address = _SCHEME.sub("", entry)
        host, port = _split_host_port(address)
        if not _HOST.fullmatch(host):
            raise read.fail(key, f"broker {entry!r} has no valid host: write host[:port], e.g. kafka:9092")
        if port is None:
            port = str(default_port)
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise read.fail(
                key, f"the port of broker {entry!r} is not a number from 1 to 65535: write host:port, e.g. kafka:9092"
            )
        brokers.append(f"{host}:{int(port)}")
    if not brokers:
        raise read.fail(key, "no broker in it: give host[:port] entries separated by commas")
    return tuple(brokers)


def _split_host_port(address: str) -> tuple[str, str | None]:
    if address.startswith("["):  # [IPv6]:port
        host, _, rest = address.partition("]")
        return host + "]", rest[1:] if rest.startswith(":") else (rest or None)
    host, sep, port = address.rpartition(":")
    return (host, port) if sep else (address, None)


def _kafka(sources: PropertySources, read: _Reader, brokers: tuple[str, ...]) -> tuple[StartOffset, ClientSettings]:
    # Spring's binder: binding-level settings over consumerProperties over configuration, per role.
    configuration = _kafka_section(sources, CONFIGURATION)
    binder_consumer = _kafka_section(sources, CONSUMER_PROPERTIES)
    binding_consumer = _kafka_section(sources, INPUT_CONSUMER_CONFIGURATION)
    producer = _kafka_section(sources, PRODUCER_PROPERTIES)
    if "bootstrap.servers" in binding_consumer:
        raise read.fail(
            f"{INPUT_CONSUMER_CONFIGURATION}.bootstrap.servers",
            f"bootstrap.servers cannot be set for one binding (Spring refuses it too): use {BROKERS}",
        )
    origin = {
        **{k: f"{CONFIGURATION}.{k}" for k in configuration},
        **{k: f"{CONSUMER_PROPERTIES}.{k}" for k in binder_consumer},
        **{k: f"{INPUT_CONSUMER_CONFIGURATION}.{k}" for k in binding_consumer},
        **{k: f"{PRODUCER_PROPERTIES}.{k}" for k in producer},
    }
    consumer = {**binder_consumer, **binding_consumer}
    explicit = read.text(START_OFFSET)
    if explicit is not None and explicit.lower() not in ("earliest", "latest"):
        raise read.fail(START_OFFSET, "must be earliest or latest")
    # startOffset wins, then the client's auto.offset.reset, then earliest (we always have a group).
    if explicit is not None:
        consumer["auto.offset.reset"] = explicit.lower()
        origin["auto.offset.reset"] = START_OFFSET
    elif "auto.offset.reset" not in consumer and "auto.offset.reset" not in configuration:
        consumer["auto.offset.reset"] = "earliest"
    for role_config in (configuration, consumer, producer):
        role_config.pop("bootstrap.servers", None)  # the brokers, resolved above
    client = _kafka_client(read)
    try:
        kafka = client_settings(
            configuration, consumer=consumer, producer=producer, bootstrap_servers=brokers, client=client
        )
    except ClientSettingError as exc:
        where = origin.get(exc.key, f"{CONFIGURATION}.{exc.key}")
        prop = sources.get(where)
        source = f", from {prop.source}" if prop is not None else ""
        raise SettingsError(f"{exc} (property {where}{source})") from None
    start = cast(StartOffset, kafka.auto_offset_reset)  # set above, and validated by client_settings
    return start, kafka


def _kafka_client(read: _Reader) -> Client:
    """Which client the settings are mapped for (whether its library is installed is the app's to check)."""
    try:
        return cast(Client, kafka_client(read.text(KAFKA_CLIENT)))
    except ValueError as why:
        raise SettingsError(str(why)) from None


def _kafka_section(sources: PropertySources, prefix: str) -> dict[str, str]:
    return {tail: prop.value for tail, prop in sources.under(prefix).items()}


def _replication_factor(read: _Reader) -> int:
    factor = read.integer(REPLICATION_FACTOR, -1, minimum=-1, hint=" (-1 means the broker's default)")
    if factor == 0:
        raise read.fail(REPLICATION_FACTOR, "must be -1 (the broker's default) or at least 1")
    return factor


def _instance_index(read: _Reader, environ: Mapping[str, str]) -> int:
    if read.sources.get(INSTANCE_INDEX) is not None:
        return read.integer(INSTANCE_INDEX, 0, minimum=0)
    for name in INDEX_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            if not value.isdigit():
                raise SettingsError(
                    f"Invalid value {value!r} for environment variable {name}: the instance index must be "
                    f"a whole number, 0 or more"
                )
            return int(value)
    return 0


# --- what SCDF hands the app (for tests, the demo and the docs) -----------------------------------


class DeploymentProperties(NamedTuple):
    """An SCDF deployment properties file, for one app: its application properties (`app.<label>.*`)
    and its deployer properties (`deployer.<label>.*`), prefixes stripped; `*` entries apply to all."""

    app: dict[str, str]
    deployer: dict[str, str]


def deployment_properties_for(app_label: str, text: str) -> DeploymentProperties:
    """The properties SCDF gives the app labelled `app_label` from a deployment properties file."""
    try:
        parsed = parse_properties(text, source="deployment properties")
    except ConfigError as exc:
        raise SettingsError(f"Cannot read deployment properties: {exc.problems[0]}") from None
    app: dict[str, str] = {}
    deployer: dict[str, str] = {}
    for label in ("*", app_label):  # the app's own entries override the wildcard ones
        for key, value in parsed.items():
            for kind, target in (("app", app), ("deployer", deployer)):
                prefix = f"{kind}.{label}."
                if key.startswith(prefix):
                    target[key[len(prefix) :]] = value
    return DeploymentProperties(app=app, deployer=deployer)


EntryPointStyle = Literal["exec", "shell", "boot", "local"]


@dataclass(frozen=True)
class Launch:
    """The command-line arguments and environment an SCDF deployer starts the app with."""

    argv: list[str]
    environ: dict[str, str]


def scdf_launch(
    style: EntryPointStyle,
    app_properties: Mapping[str, str],
    *,
    stream_name: str,
    app_label: str,
    platform_environ: Mapping[str, str] | None = None,
    server_port: int = 34567,
    guid: str = "6f1c2a9e-3d6b-4c1e-9a43-2f5e8d7b0c11",
) -> Launch:
    """What SCDF hands the app for `app_properties`: exec (k8s default) as `--k=v` arguments, shell as
    upper-case environment variables, boot as one SPRING_APPLICATION_JSON, and the local deployer as
    SPRING_APPLICATION_JSON with a random `server.port` and its instance variables."""
    props = {
        **app_properties,
        # SCDF adds these to every stream app's properties
        STREAM_NAME: stream_name,
        APP_LABEL: app_label,
        "spring.cloud.dataflow.stream.app.type": "app",
    }
    environ = dict(platform_environ or {})
    argv: list[str] = []
    if style == "local":
        props[SERVER_PORT] = str(server_port)
        environ["SPRING_APPLICATION_JSON"] = json.dumps(props)
        environ.update(
            {"INSTANCE_INDEX": "0", "SPRING_APPLICATION_INDEX": "0", "SPRING_CLOUD_APPLICATION_GUID": str(server_port)}
        )
        return Launch(argv=argv, environ=environ)
    environ["SPRING_CLOUD_APPLICATION_GROUP"] = stream_name
    environ["SPRING_CLOUD_APPLICATION_GUID"] = guid
    if style == "exec":
        argv = [f"--{key}={value}" for key, value in props.items() if value.strip()]
    elif style == "shell":
        environ.update({key.replace(".", "_").upper(): value for key, value in props.items()})
    else:
        environ["SPRING_APPLICATION_JSON"] = json.dumps(props)
    return Launch(argv=argv, environ=environ)
