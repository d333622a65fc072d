"""Spring Cloud Stream's Kafka binder, as python-router maps it: bindings to topics, the brokers, topic
provisioning, the start offset, and the Kafka client settings per role."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Literal, cast

from python_router.kafka_config import Client, ClientSettingError, ClientSettings, client_settings
from spring_properties import Property, PropertyReader, relaxed

# Spring Cloud Stream's names are spelled once, in spring_properties: the pump and the sidecar name them too.
from spring_properties.binder_names import (
    AUTO_ADD_PARTITIONS,
    AUTO_CREATE_TOPICS,
    BINDINGS,
    BROKERS,
    CONFIGURATION,
    CONSUMER_PROPERTIES,
    DEFAULT_BROKER_PORT,
    INPUT_CONSUMER_CONFIGURATION,
    MIN_PARTITION_COUNT,
    PRODUCER_PROPERTIES,
    REPLICATION_FACTOR,
    START_OFFSET,
)

# The bindings python-router always has; each defaults to a topic of its own name, as in Spring.
REQUIRED_BINDINGS: Final = ("input", "even", "odd")

_TOPIC = re.compile(r"[A-Za-z0-9._-]{1,249}")
_HOST = re.compile(r"[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.%A-Za-z]+\]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9_+.-]*://")

StartOffset = Literal["earliest", "latest", "none"]


class Bindings(Mapping[str, str]):
    """Binding name -> destination topic, looked up by relaxed name (env gives `myinput` for `myInput`)."""

    def __init__(self, destinations: Mapping[str, str]) -> None:
        self._by_name = dict(destinations)
        self._by_relaxed = {relaxed(name): topic for name, topic in destinations.items()}

    def __getitem__(self, name: str) -> str:
        if name in self._by_name:
            return self._by_name[name]
        return self._by_relaxed[relaxed(name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return f"Bindings({self._by_name!r})"


@dataclass(frozen=True)
class Binder:
    """What the Kafka binder's properties say, validated."""

    bindings: Bindings
    brokers: tuple[str, ...]
    kafka: ClientSettings
    start_offset: StartOffset
    auto_create_topics: bool
    auto_add_partitions: bool
    replication_factor: int
    min_partition_count: int

    @classmethod
    def read(cls, read: PropertyReader, client: Client = "kafka-python") -> Binder:
        """Every binder property, the Kafka client settings mapped for `client` (router.kafka.client); each
        problem is added to the reader's problems (a default stands in)."""
        brokers = _brokers(read)
        start_offset, kafka = _kafka(read, brokers, client)
        factor = read.value(REPLICATION_FACTOR, _replication_factor, -1)
        return cls(
            bindings=_bindings(read),
            brokers=brokers,
            kafka=kafka,
            start_offset=start_offset,
            auto_create_topics=read.boolean(AUTO_CREATE_TOPICS, True),
            auto_add_partitions=read.boolean(AUTO_ADD_PARTITIONS, False),
            replication_factor=factor,
            min_partition_count=read.integer(MIN_PARTITION_COUNT, 1, minimum=1),
        )


def _bindings(read: PropertyReader) -> Bindings:
    destinations: dict[str, str] = {}
    for tail, prop in read.sources.under(BINDINGS).items():
        name, _, attribute = tail.rpartition(".")
        if relaxed(attribute) != "destination" or not name or "." in name:
            continue
        topic = prop.value.strip()
        if not topic:
            read.invalid(prop, f"the destination is empty: set it to the Kafka topic of binding '{name}'")
        elif "," in topic:
            read.invalid(prop, "python-router binds one topic per binding: give a single topic name")
        elif not _TOPIC.fullmatch(topic) or topic in (".", ".."):
            read.invalid(prop, "not a valid Kafka topic name (letters, digits, '.', '_' and '-'; 1 to 249 characters)")
        else:
            destinations[name] = topic
    present = {relaxed(name) for name in destinations}
    for name in REQUIRED_BINDINGS:
        if name not in present:
            destinations[name] = name  # Spring's default: a binding's destination is its name
    rank = {name: index for index, name in enumerate(REQUIRED_BINDINGS)}  # input, even, odd, then the rest
    ordered = sorted(destinations, key=lambda name: (rank.get(relaxed(name), len(rank)), name))
    return Bindings({name: destinations[name] for name in ordered})


def _brokers(read: PropertyReader) -> tuple[str, ...]:
    default_port = read.integer(DEFAULT_BROKER_PORT, 9092, minimum=1, maximum=65535)
    # As in Spring's binder, a bootstrap.servers in the client configuration wins over `brokers`.
    prop = read.sources.get(f"{CONFIGURATION}.bootstrap.servers")
    if prop is None or not prop.value.strip():
        prop = read.sources.get(BROKERS)
    if prop is None:
        return (f"localhost:{default_port}",)
    brokers: list[str] = []
    for entry in (part.strip() for part in prop.value.split(",")):
        if not entry:
            continue
        host, port = _split_host_port(_SCHEME.sub("", entry))
        if not _HOST.fullmatch(host):
            read.invalid(prop, f"broker {entry!r} has no valid host: write host[:port], e.g. kafka:9092")
        elif port is not None and (not port.isdigit() or not 1 <= int(port) <= 65535):
            why = f"the port of broker {entry!r} is not a number from 1 to 65535: write host:port, e.g. kafka:9092"
            read.invalid(prop, why)
        else:
            brokers.append(f"{host}:{int(port or default_port)}")
    if not prop.value.replace(",", "").strip():
        read.invalid(prop, "no broker in it: give host[:port] entries separated by commas")
    return tuple(brokers) or (f"localhost:{default_port}",)


def _split_host_port(address: str) -> tuple[str, str | None]:
    if address.startswith("["):  # [IPv6]:port
        host, _, rest = address.partition("]")
        return host + "]", rest[1:] if rest.startswith(":") else (rest or None)
    host, sep, port = address.rpartition(":")
    return (host, port) if sep else (address, None)


def _kafka(read: PropertyReader, brokers: tuple[str, ...], client: Client) -> tuple[StartOffset, ClientSettings]:
    # Spring's binder: binding-level settings over consumerProperties over configuration, per role.
    sections = {prefix: read.sources.under(prefix) for prefix in _SECTIONS}
    binding_servers = sections[INPUT_CONSUMER_CONFIGURATION].get("bootstrap.servers")
    if binding_servers is not None:
        why = f"bootstrap.servers cannot be set for one binding (Spring refuses it too): use {BROKERS}"
        read.invalid(binding_servers, why)
    values = {
        prefix: {key: prop.value for key, prop in section.items() if key != "bootstrap.servers"}  # resolved above
        for prefix, section in sections.items()
    }
    start = read.value(START_OFFSET, _start_offset, None)
    # startOffset wins, then the client's auto.offset.reset, then earliest (python-router always has a group).
    if start is not None:
        values[INPUT_CONSUMER_CONFIGURATION]["auto.offset.reset"] = start
    elif not any("auto.offset.reset" in values[prefix] for prefix in _SECTIONS):
        values[INPUT_CONSUMER_CONFIGURATION]["auto.offset.reset"] = "earliest"
    kafka = _client_settings(read, sections, values, brokers, client)
    offset = cast(StartOffset, kafka.auto_offset_reset or "earliest")
    if offset == "none":
        where = [sections[p]["auto.offset.reset"] for p in _SECTIONS if "auto.offset.reset" in sections[p]]
        why = f"python-router starts a new group at earliest or latest: use one of them, or set {START_OFFSET}"
        read.invalid(where[-1], why)
    return offset, kafka


_SECURITY: Final = ("security.protocol", "sasl.", "ssl.")
_SECTIONS: Final = (CONFIGURATION, PRODUCER_PROPERTIES, CONSUMER_PROPERTIES, INPUT_CONSUMER_CONFIGURATION)


def _client_settings(
    read: PropertyReader,
    sections: Mapping[str, Mapping[str, Property]],
    values: dict[str, dict[str, str]],
    brokers: tuple[str, ...],
    client: Client,
) -> ClientSettings:
    """The client settings for `client`; every setting it cannot honour is a problem, named by the property
    that set it (the last section in _SECTIONS that has it, the one that wins for the consumer). The
    tables stop at the first problem, so each is set aside in turn (a missing setting, with the security
    settings that asked for it) until the rest pass, to report them all."""
    while True:
        try:
            return client_settings(
                values[CONFIGURATION],
                consumer={**values[CONSUMER_PROPERTIES], **values[INPUT_CONSUMER_CONFIGURATION]},
                producer=values[PRODUCER_PROPERTIES],
                bootstrap_servers=brokers,
                client=client,
            )
        except ClientSettingError as error:
            setters = [sections[prefix][error.key] for prefix in _SECTIONS if error.key in sections[prefix]]
            origin = f" (origin: {setters[-1].source})" if setters else ""
            read.problems.add(f"{error.problems[0]}{origin}")
            culprits = {key for section in values.values() for key in section if key == error.key}
            if not culprits:  # a missing setting: the security settings that need it go aside together
                culprits = {key for section in values.values() for key in section if key.startswith(_SECURITY)}
            if not culprits:
                return client_settings({}, bootstrap_servers=brokers, client=client)  # stands in; it will not start
            for section in values.values():
                for key in culprits:
                    section.pop(key, None)


def _replication_factor(raw: str) -> int:
    if not raw.lstrip("-").isdigit() or int(raw) < -1 or int(raw) == 0:
        raise ValueError("Value must be -1 (the broker's default) or a whole number of at least 1.")
    return int(raw)


def _start_offset(raw: str) -> str:
    if raw.lower() not in ("earliest", "latest"):
        raise ValueError("Value must be earliest or latest.")
    return raw.lower()
