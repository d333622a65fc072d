"""Kafka client settings, in Kafka's own property names (as SCDF users write them under
`spring.cloud.stream.kafka.binder.configuration.*`), mapped to kafka-python's keyword arguments."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from kafka.codec import has_gzip, has_lz4, has_snappy, has_zstd
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor

from spring_properties import mask_value
from transforms.errors import ConfigError

Role = Literal["consumer", "producer", "admin"]
ROLES: tuple[Role, ...] = ("consumer", "producer", "admin")


class ClientSettingError(ConfigError):
    """A Kafka client setting that kafka-python cannot honour; the message says what to set instead."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__([message])


@dataclass(frozen=True, slots=True)
class Ignored:
    """A client setting that no kafka-python client uses, and why (for the startup log)."""

    key: str
    reason: str


@dataclass(frozen=True)
class ClientSettings:
    """kafka-python keyword arguments per client. `producer` serves the dead-letter producer too.

    >>> s = client_settings({"security.protocol": "SSL"}, bootstrap_servers=["kafka:9092"])
    >>> KafkaConsumer("timeDest", group_id="g", **s.consumer)  # doctest: +SKIP
    """

    consumer: Mapping[str, Any]
    producer: Mapping[str, Any]
    admin: Mapping[str, Any]
    ignored: tuple[Ignored, ...]


def client_settings(
    configuration: Mapping[str, str],
    *,
    consumer: Mapping[str, str] | None = None,
    producer: Mapping[str, str] | None = None,
    bootstrap_servers: Sequence[str] | None = None,
) -> ClientSettings:
    """Map Kafka client properties to kafka-python kwargs for the consumer, the producer and the admin.

    `configuration` applies to every client (Spring's `binder.configuration.*`); `consumer` and
    `producer` override it for one role (Spring's `binder.consumerProperties.*`/`producerProperties.*`).
    Raises ClientSettingError for a malformed value, or for a setting kafka-python cannot honour where
    ignoring it would weaken security (a JKS store, Kerberos, a cipher list).
    """
    role_configs: dict[Role, dict[str, str]] = {
        "consumer": {**configuration, **(consumer or {})},
        "producer": {**configuration, **(producer or {})},
        "admin": dict(configuration),
    }
    kwargs: dict[Role, dict[str, Any]] = {}
    ignored_by_role: dict[Role, dict[str, Ignored]] = {}
    for role, config in role_configs.items():
        role_kwargs, role_ignored = _role_kwargs(config, role)
        if bootstrap_servers is not None:
            role_kwargs["bootstrap_servers"] = list(bootstrap_servers)
        kwargs[role] = role_kwargs
        ignored_by_role[role] = {item.key: item for item in role_ignored}
    # Ignored means no client uses it: a TLS setting unused by one role may serve another.
    ignored: dict[str, Ignored] = {}
    for role, config in role_configs.items():
        for key in config:
            if all(key in ignored_by_role[r] for r in ROLES if key in role_configs[r]):
                ignored.setdefault(key, ignored_by_role[role][key])
    for role, given in (("consumer", consumer or {}), ("producer", producer or {})):
        for key in given:
            spec = _SETTINGS.get(key)
            if spec is not None and role not in spec.roles:
                ignored.setdefault(key, Ignored(key, f"not a {role} setting (it applies to {_roles(spec)})"))
    return ClientSettings(
        consumer=MappingProxyType(kwargs["consumer"]),
        producer=MappingProxyType(kwargs["producer"]),
        admin=MappingProxyType(kwargs["admin"]),
        ignored=tuple(sorted(ignored.values(), key=lambda item: item.key)),
    )


# --- plain settings: one Kafka name, one kafka-python kwarg --------------------------------------


@dataclass(frozen=True, slots=True)
class _Setting:
    kwarg: str
    convert: Callable[[str, str], Any]
    roles: frozenset[Role]


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


def _buffer_bytes(key: str, value: str) -> int | None:
    number = _number("INT", -1)(key, value)
    return None if number == -1 else number  # Kafka's -1 means the OS default; kafka-python's None does


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


def _compression(key: str, value: str) -> str | None:
    codec = value.strip().lower()
    if codec == "none":
        return None
    if codec not in _CODECS:
        raise _invalid(key, value, "String must be one of: none, gzip, snappy, lz4, zstd")
    available, needs = _CODECS[codec]
    if not available():
        raise _invalid(key, value, f"kafka-python needs {needs} for {codec}: install it, or use gzip or none")
    return codec


_ASSIGNORS: dict[str, type] = {
    "RangeAssignor": RangePartitionAssignor,
    "RoundRobinAssignor": RoundRobinPartitionAssignor,
    "StickyAssignor": StickyPartitionAssignor,
    "CooperativeStickyAssignor": CooperativeStickyAssignor,
}


def _assignors(key: str, value: str) -> tuple[type, ...]:
    chosen: list[type] = []
    for name in (part.strip() for part in value.split(",") if part.strip()):
        simple = name.rsplit(".", 1)[-1]
        if simple not in _ASSIGNORS:
            known = ", ".join(f"org.apache.kafka.clients.consumer.{n}" for n in _ASSIGNORS)
            raise _invalid(key, value, f"Class {name} could not be found: kafka-python has {known}")
        chosen.append(_ASSIGNORS[simple])
    if not chosen:
        raise _invalid(key, value, "give at least one assignor class, or remove the setting")
    return tuple(chosen)


_ALL: frozenset[Role] = frozenset(ROLES)
_CONSUMER: frozenset[Role] = frozenset({"consumer"})
_PRODUCER: frozenset[Role] = frozenset({"producer"})
_CLIENTS: frozenset[Role] = frozenset({"consumer", "producer"})

_SETTINGS: dict[str, _Setting] = {
    # every client
    "client.id": _Setting("client_id", _text, _ALL),
    "request.timeout.ms": _Setting("request_timeout_ms", _number("INT", 0), _ALL),
    "metadata.max.age.ms": _Setting("metadata_max_age_ms", _number("LONG", 0), _ALL),
    "reconnect.backoff.ms": _Setting("reconnect_backoff_ms", _number("LONG", 0), _ALL),
    "reconnect.backoff.max.ms": _Setting("reconnect_backoff_max_ms", _number("LONG", 0), _ALL),
    "retry.backoff.ms": _Setting("retry_backoff_ms", _number("LONG", 0), _ALL),
    "connections.max.idle.ms": _Setting("connections_max_idle_ms", _number("LONG", 0), _ALL),
    "receive.buffer.bytes": _Setting("receive_buffer_bytes", _buffer_bytes, _ALL),
    "send.buffer.bytes": _Setting("send_buffer_bytes", _buffer_bytes, _ALL),
    "max.in.flight.requests.per.connection": _Setting("max_in_flight_requests_per_connection", _number("INT", 1), _ALL),
    "client.dns.lookup": _Setting(
        "client_dns_lookup", _one_of("use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"), _ALL
    ),
    "allow.auto.create.topics": _Setting("allow_auto_create_topics", _boolean, _CLIENTS),
    # the consumer
    "auto.offset.reset": _Setting("auto_offset_reset", _one_of("earliest", "latest", "none"), _CONSUMER),
    "max.poll.records": _Setting("max_poll_records", _number("INT", 1), _CONSUMER),
    "max.poll.interval.ms": _Setting("max_poll_interval_ms", _number("INT", 1), _CONSUMER),
    "session.timeout.ms": _Setting("session_timeout_ms", _number("INT", 1), _CONSUMER),
    "heartbeat.interval.ms": _Setting("heartbeat_interval_ms", _number("INT", 1), _CONSUMER),
    "fetch.min.bytes": _Setting("fetch_min_bytes", _number("INT", 0), _CONSUMER),
    "fetch.max.bytes": _Setting("fetch_max_bytes", _number("INT", 0), _CONSUMER),
    "fetch.max.wait.ms": _Setting("fetch_max_wait_ms", _number("INT", 0), _CONSUMER),
    "max.partition.fetch.bytes": _Setting("max_partition_fetch_bytes", _number("INT", 0), _CONSUMER),
    "isolation.level": _Setting("isolation_level", _one_of("read_uncommitted", "read_committed"), _CONSUMER),
    "check.crcs": _Setting("check_crcs", _boolean, _CONSUMER),
    "exclude.internal.topics": _Setting("exclude_internal_topics", _boolean, _CONSUMER),
    "client.rack": _Setting("client_rack", _text, _CONSUMER),
    "group.instance.id": _Setting("group_instance_id", _text, _CONSUMER),
    "partition.assignment.strategy": _Setting("partition_assignment_strategy", _assignors, _CONSUMER),
    # the producer (and the dead-letter producer)
    "acks": _Setting("acks", _acks, _PRODUCER),
    "compression.type": _Setting("compression_type", _compression, _PRODUCER),
    "batch.size": _Setting("batch_size", _number("INT", 0), _PRODUCER),
    "linger.ms": _Setting("linger_ms", _number("LONG", 0), _PRODUCER),
    "max.request.size": _Setting("max_request_size", _number("INT", 1), _PRODUCER),
    "retries": _Setting("retries", _number("INT", 0), _PRODUCER),
    "delivery.timeout.ms": _Setting("delivery_timeout_ms", _number("INT", 1), _PRODUCER),
    "max.block.ms": _Setting("max_block_ms", _number("LONG", 0), _PRODUCER),
    "enable.idempotence": _Setting("enable_idempotence", _boolean, _PRODUCER),
}

_SERDE = "records are bytes in and bytes out; Java (de)serializer classes do not apply"
_KNOWN_UNUSED: dict[str, str] = {
    "bootstrap.servers": "the brokers come from spring.cloud.stream.kafka.binder.brokers",
    "group.id": "the consumer group comes from spring.cloud.stream.bindings.input.group",
    "enable.auto.commit": "python-router commits offsets itself, after the producer's acknowledgement",
    "auto.commit.interval.ms": "python-router commits offsets itself, after the producer's acknowledgement",
    "transactional.id": "python-router derives it from the app, group and instance (router.delivery=exactly-once)",
    "transaction.timeout.ms": "not configurable in python-router; kafka-python's default (60 s) applies",
    "key.serializer": _SERDE,
    "value.serializer": _SERDE,
    "key.deserializer": _SERDE,
    "value.deserializer": _SERDE,
    "buffer.memory": "kafka-python's producer has no buffer.memory (it bounds batches by batch.size)",
    "partitioner.class": "a Java class; kafka-python partitions by key with Kafka's murmur2, like Java's default",
    "interceptor.classes": "Java classes; kafka-python has no interceptors",
    "metric.reporters": "Java classes; python-router serves its metrics at /actuator/prometheus",
}


def _roles(spec: _Setting) -> str:
    return " and ".join(role for role in ROLES if role in spec.roles)


def _role_kwargs(config: Mapping[str, str], role: Role) -> tuple[dict[str, Any], list[Ignored]]:
    ignored: list[Ignored] = []
    kwargs = _security_kwargs(config, ignored)
    for key, value in config.items():
        if key == "security.protocol" or key.startswith(("ssl.", "sasl.")):
            continue
        spec = _SETTINGS.get(key)
        if spec is None:
            reason = _KNOWN_UNUSED.get(key, "not a setting kafka-python's clients have")
            ignored.append(Ignored(key, reason))
        elif role in spec.roles:
            kwargs[spec.kwarg] = spec.convert(key, value)
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
    "OAUTHBEARER": "OAUTHBEARER needs a token provider object that properties cannot configure in "
    f"kafka-python: {_USE_INSTEAD}",
}
_JKS_TRUSTSTORE_HELP = (
    "kafka-python reads PEM files only. Convert the truststore: "
    "keytool -exportcert -rfc -keystore truststore.jks -alias <ca-alias> -file ca.pem "
    "(or: openssl pkcs12 -in truststore.p12 -nokeys -out ca.pem), "
    "then set ssl.truststore.location=/path/ca.pem and ssl.truststore.type=PEM"
)
_JKS_KEYSTORE_HELP = (
    "kafka-python reads PEM files only. Convert the keystore: "
    "keytool -importkeystore -srckeystore keystore.jks -destkeystore keystore.p12 -deststoretype PKCS12, "
    "then openssl pkcs12 -in keystore.p12 -nodes -out client.pem (key and certificate chain in one file), "
    "then set ssl.keystore.location=/path/client.pem and ssl.keystore.type=PEM"
)
_JAVA_TLS = "a setting of Java's TLS stack (JSSE) with no kafka-python equivalent"


def _security_kwargs(config: Mapping[str, str], ignored: list[Ignored]) -> dict[str, Any]:
    given = config.get("security.protocol", "PLAINTEXT")
    protocol = given.strip().upper()
    if protocol not in _PROTOCOLS:
        raise _invalid("security.protocol", given, f"String must be one of: {', '.join(_PROTOCOLS)}")
    kwargs: dict[str, Any] = {"security_protocol": protocol}
    sasl_keys = sorted(k for k in config if k.startswith("sasl."))
    ssl_keys = sorted(k for k in config if k.startswith("ssl."))
    if protocol.startswith("SASL_"):
        kwargs.update(_sasl_kwargs(config, protocol, ignored))
    else:
        why = f"security.protocol is {protocol}; SASL settings apply to SASL_SSL and SASL_PLAINTEXT only"
        ignored.extend(Ignored(key, why) for key in sasl_keys)
    if protocol in ("SSL", "SASL_SSL"):
        kwargs.update(_ssl_kwargs(config, ignored))
    else:
        why = f"security.protocol is {protocol}; TLS settings apply to SSL and SASL_SSL only"
        ignored.extend(Ignored(key, why) for key in ssl_keys)
    return kwargs


def _sasl_kwargs(config: Mapping[str, str], protocol: str, ignored: list[Ignored]) -> dict[str, Any]:
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
        reason = _UNSUPPORTED_MECHANISMS.get(mechanism, f"not a SASL mechanism kafka-python can use: {_USE_INSTEAD}")
        raise _invalid("sasl.mechanism", given, reason)
    username, password = _sasl_credentials(config, protocol, mechanism)
    handled = {"sasl.mechanism", "sasl.jaas.config", "sasl.username", "sasl.password"}
    for key in sorted(k for k in config if k.startswith("sasl.") and k not in handled):
        ignored.append(Ignored(key, "used only by Kafka's Java client (Kerberos, OAuth or login tuning)"))
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
        raise _invalid("sasl.jaas.config", jaas, "delegation tokens (tokenauth=true) are not supported by kafka-python")
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


def _ssl_kwargs(config: Mapping[str, str], ignored: list[Ignored]) -> dict[str, Any]:
    handled: set[str] = set()

    def get(key: str) -> str | None:
        handled.add(key)
        value = config.get(key)
        return value if value is None or value.strip() else None  # Kafka treats "" as not set

    kwargs: dict[str, Any] = {}
    algorithm = config.get("ssl.endpoint.identification.algorithm", "https")
    handled.add("ssl.endpoint.identification.algorithm")
    if algorithm.strip().lower() not in ("https", ""):
        raise _invalid(
            "ssl.endpoint.identification.algorithm",
            algorithm,
            'String must be "https" (verify the broker\'s host name) or empty (do not verify it)',
        )
    kwargs["ssl_check_hostname"] = algorithm.strip().lower() == "https"

    for inline in ("ssl.truststore.certificates", "ssl.keystore.key", "ssl.keystore.certificate.chain"):
        if get(inline) is not None:
            where = "ssl.truststore.location" if "truststore" in inline else "ssl.keystore.location"
            raise _invalid(
                inline,
                config[inline],
                f"kafka-python reads certificates and keys from files only: write the PEM text to a file "
                f"and set {where}=<file> with {where.replace('location', 'type')}=PEM",
            )

    truststore, cafile = get("ssl.truststore.location"), get("ssl.cafile")
    truststore_type = (get("ssl.truststore.type") or "JKS").strip().upper()
    if truststore is not None and cafile is not None:
        raise ClientSettingError("ssl.cafile", "ssl.truststore.location and ssl.cafile are both set: keep one")
    if truststore is not None:
        if truststore_type != "PEM":
            if "ssl.truststore.type" in config:
                raise _invalid("ssl.truststore.type", config["ssl.truststore.type"], _JKS_TRUSTSTORE_HELP)
            raise ClientSettingError(
                "ssl.truststore.location",
                f"ssl.truststore.location is set without ssl.truststore.type, so Kafka reads it as JKS: "
                f"{_JKS_TRUSTSTORE_HELP} (if the file is PEM already, just set ssl.truststore.type=PEM)",
            )
        kwargs["ssl_cafile"] = truststore
    elif cafile is not None:
        kwargs["ssl_cafile"] = cafile
    if get("ssl.truststore.password") is not None:
        ignored.append(Ignored("ssl.truststore.password", "a PEM truststore holds only certificates: no password"))

    keystore, certfile, keyfile = get("ssl.keystore.location"), get("ssl.certfile"), get("ssl.keyfile")
    keystore_type = (get("ssl.keystore.type") or "JKS").strip().upper()
    if keystore is not None and (certfile is not None or keyfile is not None):
        raise ClientSettingError(
            "ssl.certfile", "ssl.keystore.location and ssl.certfile/ssl.keyfile are both set: keep one"
        )
    if keystore is not None:
        if keystore_type != "PEM":
            if "ssl.keystore.type" in config:
                raise _invalid("ssl.keystore.type", config["ssl.keystore.type"], _JKS_KEYSTORE_HELP)
            raise ClientSettingError(
                "ssl.keystore.location",
                f"ssl.keystore.location is set without ssl.keystore.type, so Kafka reads it as JKS: "
                f"{_JKS_KEYSTORE_HELP} (if the file is PEM already, just set ssl.keystore.type=PEM)",
            )
        kwargs["ssl_certfile"] = keystore  # Kafka's PEM keystore holds the key too; Python reads it from there
    elif certfile is not None:
        kwargs["ssl_certfile"] = certfile
        if keyfile is not None:
            kwargs["ssl_keyfile"] = keyfile
    elif keyfile is not None:
        raise ClientSettingError("ssl.keyfile", "ssl.keyfile is set without ssl.certfile: set both, or neither")
    key_password, password = get("ssl.key.password"), get("ssl.password")
    if key_password is not None and password is not None:
        raise ClientSettingError("ssl.password", "ssl.key.password and ssl.password are both set: keep one")
    if "ssl_certfile" in kwargs and (key_password or password) is not None:
        kwargs["ssl_password"] = key_password if key_password is not None else password
    elif key_password is not None or password is not None:
        ignored.append(
            Ignored("ssl.key.password" if key_password is not None else "ssl.password", "no client key is configured")
        )
    if get("ssl.keystore.password") is not None:
        ignored.append(Ignored("ssl.keystore.password", "a PEM keystore's private key is unlocked by ssl.key.password"))

    # kafka-python (3.0.x) takes `ssl_ciphers` but never applies it: honouring a cipher list would be a
    # pretence, and dropping it silently would weaken what the user asked for.
    for key in ("ssl.cipher.suites", "ssl.ciphers"):
        ciphers = get(key)
        if ciphers is not None:
            raise _invalid(
                key,
                ciphers,
                "kafka-python does not apply a cipher list (it offers OpenSSL's default ciphers over TLS 1.2 "
                "or 1.3): remove the setting, or restrict ciphers on the broker",
            )
    crlfile = get("ssl.crlfile")
    if crlfile is not None:
        kwargs["ssl_crlfile"] = crlfile

    _check_tls_versions(get("ssl.enabled.protocols"), get("ssl.protocol"), ignored)
    for key in sorted(k for k in config if k.startswith("ssl.") and k not in handled):
        ignored.append(Ignored(key, _JAVA_TLS))
    return kwargs


def _check_tls_versions(enabled: str | None, protocol: str | None, ignored: list[Ignored]) -> None:
    why = "kafka-python negotiates TLS 1.2 or 1.3 and never anything older"
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
            "kafka-python cannot be limited to TLSv1.3 alone: add TLSv1.2 or remove the setting",
        )
    else:
        raise _invalid("ssl.enabled.protocols", enabled, "kafka-python needs TLSv1.2 or TLSv1.3 among them")
