"""Kafka client settings, in Kafka's own property names (as SCDF users write them under
`spring.cloud.stream.kafka.binder.configuration.*`), mapped to the client the pump runs on: kafka-python's
keyword arguments, or librdkafka's configuration properties (confluent-kafka). One declaration per setting
holds both forms."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal

from kafka.codec import has_gzip, has_lz4, has_snappy, has_zstd
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor

from spring_properties import mask_value
from transforms.errors import ConfigError

Role = Literal["consumer", "producer", "admin"]
ROLES: tuple[Role, ...] = ("consumer", "producer", "admin")
Client = Literal["kafka-python", "librdkafka"]
CLIENTS: tuple[Client, ...] = ("kafka-python", "librdkafka")
# Not a librdkafka property: librdkafka takes the batch size per call (Consumer.consume(num_messages)), so
# its client configuration carries Kafka's own name for the pump's librdkafka clients to take out.
MAX_POLL_RECORDS: Final = "max.poll.records"


class ClientSettingError(ConfigError):
    """A Kafka client setting the chosen client cannot honour; the message says what to set instead."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__([message])


@dataclass(frozen=True, slots=True)
class Ignored:
    """A client setting that none of the chosen client's clients uses, and why (for the startup log)."""

    key: str
    reason: str


@dataclass(frozen=True)
class ClientSettings:
    """Per client, kafka-python keyword arguments or librdkafka properties (`client` says which).
    `producer` serves the dead-letter producer too.

    >>> s = client_settings({"security.protocol": "SSL"}, bootstrap_servers=["kafka:9092"])
    >>> KafkaConsumer("timeDest", group_id="g", **s.consumer)  # doctest: +SKIP
    >>> s = client_settings({"security.protocol": "SSL"}, client="librdkafka")
    >>> confluent_kafka.Consumer({**s.consumer, "group.id": "g"})  # doctest: +SKIP
    """

    consumer: Mapping[str, Any]
    producer: Mapping[str, Any]
    admin: Mapping[str, Any]
    ignored: tuple[Ignored, ...]
    client: Client = "kafka-python"
    # For the startup log and /actuator/info, in Kafka's words whichever the client.
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    # The consumer's auto.offset.reset (Kafka's value: earliest, latest or none), when set.
    auto_offset_reset: str | None = None


def client_settings(
    configuration: Mapping[str, str],
    *,
    consumer: Mapping[str, str] | None = None,
    producer: Mapping[str, str] | None = None,
    bootstrap_servers: Sequence[str] | None = None,
    client: Client = "kafka-python",
) -> ClientSettings:
    """Map Kafka client properties to `client`'s settings for the consumer, the producer and the admin.

    `configuration` applies to every client (Spring's `binder.configuration.*`); `consumer` and
    `producer` override it for one role (Spring's `binder.consumerProperties.*`/`producerProperties.*`).
    Raises ClientSettingError for a malformed value, or for a setting `client` cannot honour where
    ignoring it would weaken security or what was asked for (a JKS store, Kerberos, a cipher list).
    """
    role_configs: dict[Role, dict[str, str]] = {
        "consumer": {**configuration, **(consumer or {})},
        "producer": {**configuration, **(producer or {})},
        "admin": dict(configuration),
    }
    kwargs: dict[Role, dict[str, Any]] = {}
    ignored_by_role: dict[Role, dict[str, Ignored]] = {}
    for role, config in role_configs.items():
        role_kwargs, role_ignored = _role_kwargs(config, role, client)
        if bootstrap_servers is not None:
            if client == "kafka-python":
                role_kwargs["bootstrap_servers"] = list(bootstrap_servers)
            else:
                role_kwargs["bootstrap.servers"] = ",".join(bootstrap_servers)
        kwargs[role] = role_kwargs
        ignored_by_role[role] = {item.key: item for item in role_ignored}
    # Ignored means no client uses it: a TLS setting unused by one role may serve another.
    ignored: dict[str, Ignored] = {}
    for role, config in role_configs.items():
        for key in config:
            spec = _SETTINGS.get(key)
            using = [r for r in ROLES if key in role_configs[r] and (spec is None or r in spec.roles)]
            if using and all(key in ignored_by_role[r] for r in using) and key in ignored_by_role[role]:
                ignored.setdefault(key, ignored_by_role[role][key])
    for role, given in (("consumer", consumer or {}), ("producer", producer or {})):
        for key in given:
            spec = _SETTINGS.get(key)
            if spec is not None and role not in spec.roles:
                ignored.setdefault(key, Ignored(key, f"not a {role} setting (it applies to {_roles(spec)})"))
    reset = role_configs["consumer"].get("auto.offset.reset")
    return ClientSettings(
        consumer=MappingProxyType(kwargs["consumer"]),
        producer=MappingProxyType(kwargs["producer"]),
        admin=MappingProxyType(kwargs["admin"]),
        ignored=tuple(sorted(ignored.values(), key=lambda item: item.key)),
        client=client,
        security_protocol=role_configs["consumer"].get("security.protocol", "PLAINTEXT").strip().upper(),
        sasl_mechanism=_mechanism_shown(role_configs["consumer"]),
        auto_offset_reset=None if reset is None else reset.strip().lower(),
    )


def _mechanism_shown(config: Mapping[str, str]) -> str | None:
    protocol = config.get("security.protocol", "PLAINTEXT").strip().upper()
    mechanism = config.get("sasl.mechanism")
    return mechanism.strip().upper() if protocol.startswith("SASL_") and mechanism else None


# --- plain settings: one Kafka name, its kafka-python kwarg and its librdkafka property -------------


@dataclass(frozen=True, slots=True)
class _Form:
    """How one client takes a setting: its name there, and the checked value in that client's terms."""

    name: str
    value: Callable[[Any], Any] = lambda checked: checked


@dataclass(frozen=True, slots=True)
class _Unused:
    """A setting that client has no use for here (ignored, with the reason in the startup log)."""

    reason: str


@dataclass(frozen=True, slots=True)
class _Setting:
    """One Kafka client setting: the roles it applies to, how its text is checked, and each client's form.
    A form that is a string says why that client cannot honour the setting: a startup error with it."""

    convert: Callable[[str, str], Any]
    roles: frozenset[Role]
    kafka_python: _Form | _Unused | str
    librdkafka: _Form | _Unused | str

    def form(self, client: Client) -> _Form | _Unused | str:
        return self.kafka_python if client == "kafka-python" else self.librdkafka


def _invalid(key: str, value: str, reason: str) -> ClientSettingError:
    # Kafka's own wording (ConfigException), then what to do.
    return ClientSettingError(key, f"Invalid value {mask_value(key, value)} for configuration {key}: {reason}")


def _number(kind: str, minimum: int) -> Callable[[str, str], int]:
    def convert(key: str, value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise _invalid(key, value, f"Not a number of type {kind}: give a whole number") from None
        if number < minimum:
            raise _invalid(key, value, f"Value must be at least {minimum}")
        return number

    return convert


def _boolean(key: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise _invalid(key, value, "Expected value to be either true or false")
    return lowered == "true"


def _text(key: str, value: str) -> str:
    return value.strip()


def _one_of(*choices: str) -> Callable[[str, str], str]:
    def convert(key: str, value: str) -> str:
        lowered = value.strip().lower()
        if lowered not in choices:
            raise _invalid(key, value, f"String must be one of: {', '.join(choices)}")
        return lowered

    return convert


def _acks(key: str, value: str) -> int | str:
    lowered = value.strip().lower()
    if lowered in ("all", "-1"):
        return "all"
    if lowered in ("0", "1"):
        return int(lowered)
    raise _invalid(key, value, "String must be one of: all, -1, 0, 1")


_CODECS: dict[str, tuple[Callable[[], bool], str]] = {
    "gzip": (has_gzip, "gzip support in Python itself"),
    "snappy": (has_snappy, "the python-snappy package"),
    "lz4": (has_lz4, "the lz4 package"),
    "zstd": (has_zstd, "the zstandard package"),
}


def _compression(key: str, value: str) -> str:
    codec = value.strip().lower()
    if codec != "none" and codec not in _CODECS:
        raise _invalid(key, value, "String must be one of: none, gzip, snappy, lz4, zstd")
    return codec


def _kafka_python_codec(codec: str) -> str | None:
    if codec == "none":
        return None
    available, needs = _CODECS[codec]
    if not available():
        raise _invalid(
            "compression.type", codec, f"kafka-python needs {needs} for {codec}: install it, or use gzip or none"
        )
    return codec


# Kafka's assignor classes: kafka-python's class, librdkafka's name (None: librdkafka has none like it).
_ASSIGNORS: dict[str, tuple[type, str | None]] = {
    "RangeAssignor": (RangePartitionAssignor, "range"),
    "RoundRobinAssignor": (RoundRobinPartitionAssignor, "roundrobin"),
    "StickyAssignor": (StickyPartitionAssignor, None),
    "CooperativeStickyAssignor": (CooperativeStickyAssignor, "cooperative-sticky"),
}


def _assignors(key: str, value: str) -> tuple[str, ...]:
    chosen: list[str] = []
    for name in (part.strip() for part in value.split(",") if part.strip()):
        simple = name.rsplit(".", 1)[-1]
        if simple not in _ASSIGNORS:
            known = ", ".join(f"org.apache.kafka.clients.consumer.{n}" for n in _ASSIGNORS)
            raise _invalid(key, value, f"Class {name} could not be found: python-router knows {known}")
        chosen.append(simple)
    if not chosen:
        raise _invalid(key, value, "give at least one assignor class, or remove the setting")
    return tuple(chosen)


def _librdkafka_assignors(simple_names: tuple[str, ...]) -> str:
    names = [_ASSIGNORS[simple][1] for simple in simple_names]
    if None in names:
        raise ClientSettingError(
            "partition.assignment.strategy",
            "Invalid value StickyAssignor for configuration partition.assignment.strategy: librdkafka has no "
            "eager sticky assignor: use org.apache.kafka.clients.consumer.CooperativeStickyAssignor (or Range, "
            "RoundRobin), or router.kafka.client=kafka-python",
        )
    return ",".join(name for name in names if name is not None)


def _kp(name: str, value: Callable[[Any], Any] | None = None) -> _Form:
    return _Form(name) if value is None else _Form(name, value)


_rd = _kp  # librdkafka's form is built alike; the two names keep the table readable

_ALL: frozenset[Role] = frozenset(ROLES)
_CONSUMER: frozenset[Role] = frozenset({"consumer"})
_PRODUCER: frozenset[Role] = frozenset({"producer"})
_CLIENTS: frozenset[Role] = frozenset({"consumer", "producer"})


def _os_default(none: object) -> Callable[[int], object]:
    """Kafka's -1 buffer size means the OS default: kafka-python's None, librdkafka's 0."""
    return lambda number: none if number == -1 else number


_SETTINGS: dict[str, _Setting] = {
    # every client
    "client.id": _Setting(_text, _ALL, _kp("client_id"), _rd("client.id")),
    # librdkafka's request.timeout.ms is the producer's broker-side ack timeout; Kafka's is the client's
    # wait for any answer, which librdkafka calls socket.timeout.ms (at least 10 ms there).
    "request.timeout.ms": _Setting(
        _number("INT", 0), _ALL, _kp("request_timeout_ms"), _rd("socket.timeout.ms", lambda ms: min(ms, 300_000))
    ),
    "metadata.max.age.ms": _Setting(
        _number("LONG", 0), _ALL, _kp("metadata_max_age_ms"), _rd("metadata.max.age.ms", lambda ms: min(ms, 86_400_000))
    ),
    "reconnect.backoff.ms": _Setting(
        _number("LONG", 0), _ALL, _kp("reconnect_backoff_ms"), _rd("reconnect.backoff.ms")
    ),
    "reconnect.backoff.max.ms": _Setting(
        _number("LONG", 0), _ALL, _kp("reconnect_backoff_max_ms"), _rd("reconnect.backoff.max.ms")
    ),
    "retry.backoff.ms": _Setting(_number("LONG", 0), _ALL, _kp("retry_backoff_ms"), _rd("retry.backoff.ms")),
    "connections.max.idle.ms": _Setting(
        _number("LONG", 0), _ALL, _kp("connections_max_idle_ms"), _rd("connections.max.idle.ms")
    ),
    "receive.buffer.bytes": _Setting(
        _number("INT", -1),
        _ALL,
        _kp("receive_buffer_bytes", _os_default(None)),
        _rd("socket.receive.buffer.bytes", _os_default(0)),
    ),
    "send.buffer.bytes": _Setting(
        _number("INT", -1),
        _ALL,
        _kp("send_buffer_bytes", _os_default(None)),
        _rd("socket.send.buffer.bytes", _os_default(0)),
    ),
    "max.in.flight.requests.per.connection": _Setting(
        _number("INT", 1),
        _ALL,
        _kp("max_in_flight_requests_per_connection"),
        _rd("max.in.flight.requests.per.connection"),
    ),
    "client.dns.lookup": _Setting(
        _one_of("use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"),
        _ALL,
        _kp("client_dns_lookup"),
        _rd("client.dns.lookup"),
    ),
    "allow.auto.create.topics": _Setting(
        _boolean, _CLIENTS, _kp("allow_auto_create_topics"), _rd("allow.auto.create.topics")
    ),
    # the consumer
    "auto.offset.reset": _Setting(
        _one_of("earliest", "latest", "none"),
        _CONSUMER,
        _kp("auto_offset_reset"),
        _rd("auto.offset.reset", lambda reset: "error" if reset == "none" else reset),
    ),
    "max.poll.records": _Setting(_number("INT", 1), _CONSUMER, _kp("max_poll_records"), _rd(MAX_POLL_RECORDS)),
    "max.poll.interval.ms": _Setting(
        _number("INT", 1), _CONSUMER, _kp("max_poll_interval_ms"), _rd("max.poll.interval.ms")
    ),
    "session.timeout.ms": _Setting(_number("INT", 1), _CONSUMER, _kp("session_timeout_ms"), _rd("session.timeout.ms")),
    "heartbeat.interval.ms": _Setting(
        _number("INT", 1), _CONSUMER, _kp("heartbeat_interval_ms"), _rd("heartbeat.interval.ms")
    ),
    # Kafka's fetch.min.bytes=0 answers at once, as librdkafka's least value, 1, does.
    "fetch.min.bytes": _Setting(
        _number("INT", 0), _CONSUMER, _kp("fetch_min_bytes"), _rd("fetch.min.bytes", lambda n: max(n, 1))
    ),
    "fetch.max.bytes": _Setting(_number("INT", 0), _CONSUMER, _kp("fetch_max_bytes"), _rd("fetch.max.bytes")),
    "fetch.max.wait.ms": _Setting(_number("INT", 0), _CONSUMER, _kp("fetch_max_wait_ms"), _rd("fetch.wait.max.ms")),
    "max.partition.fetch.bytes": _Setting(
        _number("INT", 1), _CONSUMER, _kp("max_partition_fetch_bytes"), _rd("max.partition.fetch.bytes")
    ),
    "isolation.level": _Setting(
        _one_of("read_uncommitted", "read_committed"), _CONSUMER, _kp("isolation_level"), _rd("isolation.level")
    ),
    "check.crcs": _Setting(_boolean, _CONSUMER, _kp("check_crcs"), _rd("check.crcs")),
    "exclude.internal.topics": _Setting(
        _boolean,
        _CONSUMER,
        _kp("exclude_internal_topics"),
        _Unused(
            "librdkafka has no exclude.internal.topics; it matters to pattern subscriptions only, and python-router "
            "subscribes to its input topic by name"
        ),
    ),
    "client.rack": _Setting(_text, _CONSUMER, _kp("client_rack"), _rd("client.rack")),
    "group.instance.id": _Setting(_text, _CONSUMER, _kp("group_instance_id"), _rd("group.instance.id")),
    "partition.assignment.strategy": _Setting(
        _assignors,
        _CONSUMER,
        _kp("partition_assignment_strategy", lambda names: tuple(_ASSIGNORS[n][0] for n in names)),
        _rd("partition.assignment.strategy", _librdkafka_assignors),
    ),
    # the producer (and the dead-letter producer)
    "acks": _Setting(_acks, _PRODUCER, _kp("acks"), _rd("acks", lambda acks: -1 if acks == "all" else acks)),
    "compression.type": _Setting(
        _compression, _PRODUCER, _kp("compression_type", _kafka_python_codec), _rd("compression.type")
    ),
    "batch.size": _Setting(_number("INT", 0), _PRODUCER, _kp("batch_size"), _rd("batch.size", lambda n: max(n, 1))),
    "linger.ms": _Setting(_number("LONG", 0), _PRODUCER, _kp("linger_ms"), _rd("linger.ms")),
    # librdkafka's message.max.bytes bounds a produce request, as Kafka's max.request.size does.
    "max.request.size": _Setting(_number("INT", 1), _PRODUCER, _kp("max_request_size"), _rd("message.max.bytes")),
    "retries": _Setting(_number("INT", 0), _PRODUCER, _kp("retries"), _rd("retries")),
    "delivery.timeout.ms": _Setting(
        _number("INT", 1), _PRODUCER, _kp("delivery_timeout_ms"), _rd("delivery.timeout.ms")
    ),
    "max.block.ms": _Setting(
        _number("LONG", 0),
        _PRODUCER,
        _kp("max_block_ms"),
        _Unused(
            "librdkafka's produce() never blocks: a full queue is waited out within the pump's acknowledgement timeout"
        ),
    ),
    "enable.idempotence": _Setting(_boolean, _PRODUCER, _kp("enable_idempotence"), _rd("enable.idempotence")),
    # kafka-python bounds batches by batch.size and has no total; librdkafka's queue is in KiB.
    "buffer.memory": _Setting(
        _number("LONG", 1),
        _PRODUCER,
        _Unused("kafka-python's producer has no buffer.memory (it bounds batches by batch.size)"),
        _rd("queue.buffering.max.kbytes", lambda size: -(-size // 1024)),
    ),
}


def client_name(setting: str, client: Client) -> str:
    """`client`'s name for Kafka's client setting `setting` (kafka-python's keyword argument, librdkafka's
    property), as the mapped settings hold it. Raises KeyError for a setting `client` does not take."""
    form = _SETTINGS[setting].form(client)
    if not isinstance(form, _Form):
        raise KeyError(f"{client} does not take {setting}")
    return form.name


_SERDE = "records are bytes in and bytes out; Java (de)serializer classes do not apply"
_KNOWN_UNUSED: dict[str, str] = {
    "bootstrap.servers": "the brokers come from spring.cloud.stream.kafka.binder.brokers",
    "group.id": "the consumer group comes from spring.cloud.stream.bindings.input.group",
    "enable.auto.commit": "python-router commits offsets itself, after the producer's acknowledgement",
    "auto.commit.interval.ms": "python-router commits offsets itself, after the producer's acknowledgement",
    "transactional.id": "python-router derives it from the app, group and instance (router.delivery=exactly-once)",
    "transaction.timeout.ms": "not configurable in python-router; Kafka's default (60 s) applies, on both clients",
    "key.serializer": _SERDE,
    "value.serializer": _SERDE,
    "key.deserializer": _SERDE,
    "value.deserializer": _SERDE,
    "partitioner.class": "a Java class; python-router partitions by key with Kafka's murmur2, like Java's default",
    "interceptor.classes": "Java classes; python-router's Kafka clients have no interceptors",
    "metric.reporters": "Java classes; python-router serves its metrics at /actuator/prometheus",
}


def _roles(spec: _Setting) -> str:
    return " and ".join(role for role in ROLES if role in spec.roles)


def _role_kwargs(config: Mapping[str, str], role: Role, client: Client) -> tuple[dict[str, Any], list[Ignored]]:
    ignored: list[Ignored] = []
    kwargs = _security_kwargs(config, ignored, client)
    for key, value in config.items():
        if key == "security.protocol" or key.startswith(("ssl.", "sasl.")):
            continue
        spec = _SETTINGS.get(key)
        if spec is None:
            reason = _KNOWN_UNUSED.get(key, f"not a setting {client}'s clients have")
            ignored.append(Ignored(key, reason))
        elif role in spec.roles:
            checked = spec.convert(key, value)
            form = spec.form(client)
            if isinstance(form, str):
                raise _invalid(key, value, form)
            if isinstance(form, _Unused):
                ignored.append(Ignored(key, form.reason))
            else:
                kwargs[form.name] = form.value(checked)
    return kwargs, ignored


# --- security: security.protocol, sasl.*, ssl.* --------------------------------------------------

_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
_LOGIN_MODULES = {
    "PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
    "SCRAM-SHA-256": "org.apache.kafka.common.security.scram.ScramLoginModule",
    "SCRAM-SHA-512": "org.apache.kafka.common.security.scram.ScramLoginModule",
}
_USE_INSTEAD = "use SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN (over SASL_SSL) with sasl.jaas.config"
_UNSUPPORTED_MECHANISMS = {
    "GSSAPI": f"Kerberos (GSSAPI) is not supported by python-router: {_USE_INSTEAD}",
    "OAUTHBEARER": "OAUTHBEARER needs a token provider that python-router's properties cannot configure "
    f"(kafka-python: a token provider object; librdkafka: its own OIDC settings): {_USE_INSTEAD}",
}


def _security_kwargs(config: Mapping[str, str], ignored: list[Ignored], client: Client) -> dict[str, Any]:
    given = config.get("security.protocol", "PLAINTEXT")
    protocol = given.strip().upper()
    if protocol not in _PROTOCOLS:
        raise _invalid("security.protocol", given, f"String must be one of: {', '.join(_PROTOCOLS)}")
    kwargs: dict[str, Any] = {"security_protocol" if client == "kafka-python" else "security.protocol": protocol}
    sasl_keys = sorted(k for k in config if k.startswith("sasl."))
    ssl_keys = sorted(k for k in config if k.startswith("ssl."))
    if protocol.startswith("SASL_"):
        kwargs.update(_sasl_kwargs(config, protocol, ignored, client))
    else:
        why = f"security.protocol is {protocol}; SASL settings apply to SASL_SSL and SASL_PLAINTEXT only"
        ignored.extend(Ignored(key, why) for key in sasl_keys)
    if protocol in ("SSL", "SASL_SSL"):
        kwargs.update(_ssl_kwargs(config, ignored, client))
    else:
        why = f"security.protocol is {protocol}; TLS settings apply to SSL and SASL_SSL only"
        ignored.extend(Ignored(key, why) for key in ssl_keys)
    return kwargs


def _sasl_kwargs(config: Mapping[str, str], protocol: str, ignored: list[Ignored], client: Client) -> dict[str, Any]:
    given = config.get("sasl.mechanism")
    mechanism = (given or "GSSAPI").strip().upper()
    if given is None:
        raise ClientSettingError(
            "sasl.mechanism",
            f"security.protocol is {protocol} but sasl.mechanism is not set, so Kafka would use GSSAPI "
            f"(Kerberos), which python-router does not support: set sasl.mechanism to SCRAM-SHA-512, "
            f"SCRAM-SHA-256 or PLAIN",
        )
    if mechanism not in _MECHANISMS:
        reason = _UNSUPPORTED_MECHANISMS.get(mechanism, f"not a SASL mechanism {client} can use: {_USE_INSTEAD}")
        raise _invalid("sasl.mechanism", given, reason)
    username, password = _sasl_credentials(config, protocol, mechanism)
    handled = {"sasl.mechanism", "sasl.jaas.config", "sasl.username", "sasl.password"}
    for key in sorted(k for k in config if k.startswith("sasl.") and k not in handled):
        ignored.append(Ignored(key, "used only by Kafka's Java client (Kerberos, OAuth or login tuning)"))
    if client == "librdkafka":
        return {"sasl.mechanism": mechanism, "sasl.username": username, "sasl.password": password}
    return {"sasl_mechanism": mechanism, "sasl_plain_username": username, "sasl_plain_password": password}


def _sasl_credentials(config: Mapping[str, str], protocol: str, mechanism: str) -> tuple[str, str]:
    module = _LOGIN_MODULES[mechanism]
    example = f'{module} required username="<user>" password="<password>";'
    jaas = config.get("sasl.jaas.config")
    username, password = config.get("sasl.username"), config.get("sasl.password")
    if jaas is not None and (username is not None or password is not None):
        raise ClientSettingError(
            "sasl.jaas.config",
            "sasl.jaas.config and sasl.username/sasl.password are both set: keep one "
            "(sasl.jaas.config is Kafka's own form)",
        )
    if jaas is None:
        if username and password:
            return username, password
        raise ClientSettingError(
            "sasl.jaas.config",
            f'Missing required configuration "sasl.jaas.config" which has no default value: '
            f"security.protocol={protocol} with sasl.mechanism={mechanism} needs credentials; "
            f"set sasl.jaas.config={example}",
        )
    entry = parse_jaas_config(jaas)
    if entry.module.rsplit(".", 1)[-1] != module.rsplit(".", 1)[-1]:
        raise _invalid(
            "sasl.jaas.config",
            jaas,
            f"sasl.mechanism={mechanism} needs the login module {module}, not {entry.module}: "
            f"set sasl.jaas.config={example}",
        )
    if entry.options.get("tokenauth", "false").lower() == "true":
        raise _invalid(
            "sasl.jaas.config", jaas, "delegation tokens (tokenauth=true) are not supported by python-router"
        )
    user, secret = entry.options.get("username"), entry.options.get("password")
    if not user or secret is None:
        raise _invalid("sasl.jaas.config", jaas, f"it needs a username and a password: {example}")
    return user, secret


@dataclass(frozen=True, slots=True)
class JaasEntry:
    """One login module entry of a JAAS config: `<module> <flag> key="value" ...;`."""

    module: str
    flag: str
    options: Mapping[str, str]


_FLAGS = ("required", "requisite", "sufficient", "optional")


def parse_jaas_config(text: str) -> JaasEntry:
    """Parse a `sasl.jaas.config` value the way Kafka does (one entry, `;`-terminated, quoted values
    with backslash escapes). Errors never show the value: it holds a password."""
    tokens = _jaas_tokens(text)
    if not tokens:
        raise _invalid("sasl.jaas.config", text, "it is empty; give one login module entry")
    if sum(1 for kind, _ in tokens if kind == ";") > 1:
        raise _invalid("sasl.jaas.config", text, "it holds more than one login module; Kafka allows one")
    if tokens[-1][0] != ";":
        raise _invalid("sasl.jaas.config", text, "JAAS config entry not terminated by semi-colon")
    (kind, module), rest = tokens[0], tokens[1:-1]
    if kind != "word":
        raise _invalid("sasl.jaas.config", text, "it must start with a login module class name")
    if not rest or rest[0][0] != "word" or rest[0][1].lower() not in _FLAGS:
        raise _invalid(
            "sasl.jaas.config", text, f"login module control flag not specified (one of: {', '.join(_FLAGS)})"
        )
    flag, rest = rest[0][1].lower(), rest[1:]
    options: dict[str, str] = {}
    while rest:
        if len(rest) < 3 or rest[0][0] != "word" or rest[1][0] != "=" or rest[2][0] not in ("word", "string"):
            raise _invalid("sasl.jaas.config", text, 'options must be name="value" pairs')
        options[rest[0][1]] = rest[2][1]
        rest = rest[3:]
    return JaasEntry(module=module, flag=flag, options=options)


def _jaas_tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "=;":
            tokens.append((char, char))
            i += 1
        elif char == '"':
            value: list[str] = []
            i += 1
            while i < len(text) and text[i] != '"':
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                value.append(text[i])
                i += 1
            if i >= len(text):
                raise _invalid("sasl.jaas.config", text, 'a quoted value is not closed with "')
            tokens.append(("string", "".join(value)))
            i += 1
        else:
            start = i
            while i < len(text) and not text[i].isspace() and text[i] not in '=;"':
                i += 1
            tokens.append(("word", text[start:i]))
    return tokens


# Where each client takes the TLS files: kafka-python's kwarg, librdkafka's property.
_TLS_NAMES: dict[str, tuple[str, str]] = {
    "ca": ("ssl_cafile", "ssl.ca.location"),
    "certificate": ("ssl_certfile", "ssl.certificate.location"),
    "key": ("ssl_keyfile", "ssl.key.location"),
    "key password": ("ssl_password", "ssl.key.password"),
    "crl": ("ssl_crlfile", "ssl.crl.location"),
}
# Kafka's inline PEM settings, which librdkafka takes as they are (kafka-python reads files only).
_INLINE_PEM = {
    "ssl.truststore.certificates": "ssl.ca.pem",
    "ssl.keystore.key": "ssl.key.pem",
    "ssl.keystore.certificate.chain": "ssl.certificate.pem",
}


def _ssl_kwargs(config: Mapping[str, str], ignored: list[Ignored], client: Client) -> dict[str, Any]:
    handled: set[str] = set()
    librdkafka = client == "librdkafka"

    def get(key: str) -> str | None:
        handled.add(key)
        value = config.get(key)
        return value if value is None or value.strip() else None  # Kafka treats "" as not set

    files: dict[str, str] = {}  # _TLS_NAMES key -> value
    kwargs: dict[str, Any] = {}
    algorithm = config.get("ssl.endpoint.identification.algorithm", "https")
    handled.add("ssl.endpoint.identification.algorithm")
    if algorithm.strip().lower() not in ("https", ""):
        raise _invalid(
            "ssl.endpoint.identification.algorithm",
            algorithm,
            'String must be "https" (verify the broker\'s host name) or empty (do not verify it)',
        )
    check_hostname = algorithm.strip().lower() == "https"
    if librdkafka:
        kwargs["ssl.endpoint.identification.algorithm"] = "https" if check_hostname else "none"
    else:
        kwargs["ssl_check_hostname"] = check_hostname

    for inline, property_ in _INLINE_PEM.items():
        if get(inline) is None:
            continue
        if librdkafka:
            kwargs[property_] = config[inline]
            continue
        where = "ssl.truststore.location" if "truststore" in inline else "ssl.keystore.location"
        raise _invalid(
            inline,
            config[inline],
            f"kafka-python reads certificates and keys from files only: write the PEM text to a file "
            f"and set {where}=<file> with {where.replace('location', 'type')}=PEM (or use "
            "router.kafka.client=librdkafka, which takes it inline)",
        )

    truststore, cafile = get("ssl.truststore.location"), get("ssl.cafile")
    truststore_type = (get("ssl.truststore.type") or "JKS").strip().upper()
    if truststore is not None and cafile is not None:
        raise ClientSettingError("ssl.cafile", "ssl.truststore.location and ssl.cafile are both set: keep one")
    if truststore is not None:
        if truststore_type != "PEM":
            if "ssl.truststore.type" in config:
                raise _invalid("ssl.truststore.type", config["ssl.truststore.type"], _jks_truststore_help(client))
            raise ClientSettingError(
                "ssl.truststore.location",
                f"ssl.truststore.location is set without ssl.truststore.type, so Kafka reads it as JKS: "
                f"{_jks_truststore_help(client)} (if the file is PEM already, just set ssl.truststore.type=PEM)",
            )
        files["ca"] = truststore
    elif cafile is not None:
        files["ca"] = cafile
    if get("ssl.truststore.password") is not None:
        ignored.append(Ignored("ssl.truststore.password", "a PEM truststore holds only certificates: no password"))

    keystore, certfile, keyfile = get("ssl.keystore.location"), get("ssl.certfile"), get("ssl.keyfile")
    keystore_type = (get("ssl.keystore.type") or "JKS").strip().upper()
    keystore_password = get("ssl.keystore.password")
    if keystore is not None and (certfile is not None or keyfile is not None):
        raise ClientSettingError(
            "ssl.certfile", "ssl.keystore.location and ssl.certfile/ssl.keyfile are both set: keep one"
        )
    pkcs12 = keystore is not None and librdkafka and keystore_type == "PKCS12"
    if keystore is not None and not pkcs12:
        if keystore_type != "PEM":
            if "ssl.keystore.type" in config:
                raise _invalid("ssl.keystore.type", config["ssl.keystore.type"], _jks_keystore_help(client))
            raise ClientSettingError(
                "ssl.keystore.location",
                f"ssl.keystore.location is set without ssl.keystore.type, so Kafka reads it as JKS: "
                f"{_jks_keystore_help(client)} (if the file is PEM already, just set ssl.keystore.type=PEM)",
            )
        # Kafka's PEM keystore holds the key and its chain: Python reads the key from the certificate file,
        # librdkafka is given the file for both.
        files["certificate"] = keystore
        if librdkafka:
            files["key"] = keystore
    elif pkcs12:
        kwargs["ssl.keystore.location"] = keystore
        if keystore_password is not None:
            kwargs["ssl.keystore.password"] = keystore_password
    elif certfile is not None:
        files["certificate"] = certfile
        if keyfile is not None:
            files["key"] = keyfile
    elif keyfile is not None:
        raise ClientSettingError("ssl.keyfile", "ssl.keyfile is set without ssl.certfile: set both, or neither")
    key_password, password = get("ssl.key.password"), get("ssl.password")
    if key_password is not None and password is not None:
        raise ClientSettingError("ssl.password", "ssl.key.password and ssl.password are both set: keep one")
    has_key = "certificate" in files or "ssl.key.pem" in kwargs
    if has_key and (key_password or password) is not None:
        files["key password"] = key_password if key_password is not None else password  # type: ignore[assignment]
    elif key_password is not None or password is not None:
        ignored.append(
            Ignored("ssl.key.password" if key_password is not None else "ssl.password", "no client key is configured")
        )
    if keystore_password is not None and not pkcs12:
        ignored.append(Ignored("ssl.keystore.password", "a PEM keystore's private key is unlocked by ssl.key.password"))

    # kafka-python (3.0.x) takes `ssl_ciphers` but never applies it: honouring a cipher list would be a
    # pretence, and dropping it silently would weaken what the user asked for. librdkafka applies OpenSSL's
    # cipher names, which are not the Java names Kafka's setting holds.
    for key in ("ssl.cipher.suites", "ssl.ciphers"):
        ciphers = get(key)
        if ciphers is not None:
            why = (
                "librdkafka takes OpenSSL's cipher names, not the Java names of Kafka's setting"
                if librdkafka
                else "kafka-python does not apply a cipher list"
            )
            raise _invalid(
                key,
                ciphers,
                f"{why} (it offers OpenSSL's default ciphers over TLS 1.2 or 1.3): remove the setting, or "
                "restrict ciphers on the broker",
            )
    crlfile = get("ssl.crlfile")
    if crlfile is not None:
        files["crl"] = crlfile
    index = 1 if librdkafka else 0
    kwargs.update({_TLS_NAMES[what][index]: value for what, value in files.items()})

    _check_tls_versions(get("ssl.enabled.protocols"), get("ssl.protocol"), ignored, client)
    for key in sorted(k for k in config if k.startswith("ssl.") and k not in handled):
        ignored.append(Ignored(key, f"a setting of Java's TLS stack (JSSE) with no {client} equivalent"))
    return kwargs


def _jks_truststore_help(client: Client) -> str:
    return (
        f"{client} reads PEM files only. Convert the truststore: "
        "keytool -exportcert -rfc -keystore truststore.jks -alias <ca-alias> -file ca.pem "
        "(or: openssl pkcs12 -in truststore.p12 -nokeys -out ca.pem), "
        "then set ssl.truststore.location=/path/ca.pem and ssl.truststore.type=PEM"
    )


def _jks_keystore_help(client: Client) -> str:
    convert = "keytool -importkeystore -srckeystore keystore.jks -destkeystore keystore.p12 -deststoretype PKCS12, "
    if client == "librdkafka":
        return (
            f"librdkafka reads PEM or PKCS12 keystores, not JKS. Convert the keystore: {convert}"
            "then set ssl.keystore.location=/path/keystore.p12, ssl.keystore.type=PKCS12 and ssl.keystore.password"
        )
    return (
        f"kafka-python reads PEM files only. Convert the keystore: {convert}"
        "then openssl pkcs12 -in keystore.p12 -nodes -out client.pem (key and certificate chain in one file), "
        "then set ssl.keystore.location=/path/client.pem and ssl.keystore.type=PEM"
    )


def _check_tls_versions(enabled: str | None, protocol: str | None, ignored: list[Ignored], client: Client) -> None:
    why = f"{client} negotiates TLS 1.2 or 1.3 and never anything older"
    if protocol is not None:
        ignored.append(Ignored("ssl.protocol", why))
    if enabled is None:
        return
    versions = {part.strip() for part in enabled.split(",") if part.strip()}
    if "TLSv1.2" in versions:
        ignored.append(Ignored("ssl.enabled.protocols", why))
    elif "TLSv1.3" in versions:
        raise _invalid(
            "ssl.enabled.protocols",
            enabled,
            f"{client} cannot be limited to TLSv1.3 alone: add TLSv1.2 or remove the setting",
        )
    else:
        raise _invalid("ssl.enabled.protocols", enabled, f"{client} needs TLSv1.2 or TLSv1.3 among them")
