"""The pump's settings as plain values (the entry point resolves Spring properties into them), and the
throughput-tuned kafka-python defaults that properties override."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal

from spring_properties.binder_names import INPUT_DESTINATION, INPUT_GROUP
from transforms.errors import ConfigError

# The property that picks the Kafka client library, and its values (the first is the default): kafka-python,
# the product's dependency; librdkafka through confluent-kafka, an install extra, for throughput.
KAFKA_CLIENT: Final = "router.kafka.client"
KAFKA_CLIENTS: Final = ("kafka-python", "librdkafka")

# The property that picks the delivery guarantee, and its values (the first is the default): at-least-once
# commits offsets after the broker acknowledged the outputs; exactly-once puts each batch's outputs, dead
# letters and offsets in one Kafka transaction (pump/transactions.py).
DELIVERY: Final = "router.delivery"
DELIVERIES: Final = ("at-least-once", "exactly-once")

# All three clients: give up bootstrapping after 10 s (not 30), so that the pump reports the broker away,
# and notices a stop request, sooner; it retries with backoff anyway.
CLIENT_DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType({"bootstrap_timeout_ms": 10_000})

# The consumer and the producer reconnect at least once a second while the broker is away (kafka-python's
# backoff grows to 30 s): measured, records moved again 42 s after the broker was back with 30 s, 0.3 s
# with 1 s (issue 17, tests/pump/test_pump_reliability.py). A reconnect to a broker that is down costs a
# refused TCP connection. Not the admin client: it connects only at startup, where a broker that refuses the
# credentials is retried slowly (docs/security.md), and a faster backoff would multiply the logins it refuses.
RECONNECT_DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType({"reconnect_backoff_max_ms": 1_000})

# Measured with bench/ on the 2-core development machine (docs/benchmarks.md): a poll of up to 2,000 records
# amortises the per-batch flush and commit round trips (+9.5% over 500) and still finishes well inside
# max_poll_interval_ms. A fetch returns as soon as any record is there (Kafka's own fetch.min.bytes=1): a
# 64 KiB minimum made every fetch wait its full 100 ms at the recipe's rates (p99 124 ms at 1,000 records/s,
# 15 ms with 1 byte), for no measurable throughput under load, where fetches fill anyway.
CONSUMER_DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "max_poll_records": 2000,
        "fetch_min_bytes": 1,
        "fetch_max_wait_ms": 100,
        "max_partition_fetch_bytes": 1024 * 1024,
    }
)

# acks=all and idempotence are kafka-python 3's defaults, stated here so no override weakens them by
# accident. No compression: the loop is CPU-bound on small records, and the broker is local to the pod's
# network. A record up to the broker's default message.max.bytes (1 MiB) must fit, with some room for the
# dead-letter context headers, hence max_request_size above the 1 MiB default.
PRODUCER_DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 10,
        "batch_size": 128 * 1024,
        "compression_type": None,
        "max_request_size": 2 * 1024 * 1024,
        "max_block_ms": 10_000,
    }
)

# What the at-least-once loop cannot work without; an override of these is refused with a message.
CONSUMER_REQUIRED: Final[Mapping[str, Any]] = MappingProxyType({"enable_auto_commit": False})

# The same defaults in librdkafka's terms (router.kafka.client=librdkafka), for the same reasons; what differs:
# max.poll.records bounds each consume() call (pump/clients/librdkafka.py takes it out); keys are partitioned
# with Java's murmur2 (librdkafka's own default is CRC32), so a key lands where a Java or kafka-python producer
# puts it; and Kafka's isolation.level is kept (librdkafka's own default is read_committed).
LIBRDKAFKA_CONSUMER_DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "max.poll.records": 2000,
        "fetch.min.bytes": 1,
        "fetch.wait.max.ms": 100,
        "max.partition.fetch.bytes": 1024 * 1024,
        "isolation.level": "read_uncommitted",
        "reconnect.backoff.max.ms": 1_000,  # as RECONNECT_DEFAULTS
        # librdkafka fetches ahead up to 100,000 records or 64 MiB by default, far more than a batch of
        # max.poll.records needs: 20,000 records or 16 MiB keep the pump under 150 MiB (at 100,000, the
        # recipe's small records took it to 155 MiB).
        "queued.min.messages": 20_000,
        "queued.max.messages.kbytes": 16 * 1024,
        # Once that queue holds queued.min.messages, librdkafka's next fetch waits this long: its
        # default, 1 s, held the consumption of small records to about 270,000/s (2.6 million/s with 10 ms,
        # measured on the recipe's payload).
        "fetch.queue.backoff.ms": 10,
    }
)
LIBRDKAFKA_PRODUCER_DEFAULTS: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "acks": -1,
        "enable.idempotence": True,
        "linger.ms": 10,
        "batch.size": 128 * 1024,
        "compression.type": "none",
        "message.max.bytes": 2 * 1024 * 1024,
        "partitioner": "murmur2_random",
        "reconnect.backoff.max.ms": 1_000,  # as RECONNECT_DEFAULTS
    }
)
# The pump stores and commits offsets itself, after acknowledgement.
LIBRDKAFKA_CONSUMER_REQUIRED: Final[Mapping[str, Any]] = MappingProxyType(
    {"enable.auto.commit": False, "enable.auto.offset.store": False}
)


def kafka_client(value: str | None) -> str:
    """The client library `router.kafka.client` names (unset or empty: the default). Raises ValueError with
    what to write instead (the entry point words it as for every property)."""
    if not value:
        return KAFKA_CLIENTS[0]
    if value not in KAFKA_CLIENTS:
        raise ValueError("use kafka-python (the default) or librdkafka (confluent-kafka, for throughput)")
    return value


def delivery_guarantee(value: str | None) -> str:
    """The guarantee `router.delivery` names (unset or empty: the default). Raises ValueError with what to
    write instead (the entry point words it as for every property)."""
    if not value:
        return DELIVERIES[0]
    if value not in DELIVERIES:
        raise ValueError(
            "use at-least-once (the default) or exactly-once (Kafka transactions, for consumers that read "
            "committed records only)"
        )
    return value


@dataclass(frozen=True, slots=True)
class PumpConfig:
    """Everything the pump needs, as plain values.

    `client` holds kafka-python keyword arguments for all three clients (bootstrap servers, security,
    client id); `consumer`, `producer` and `admin` add to or override them per client (tuning from
    properties). All are already mapped by the caller. The pump lays them over CONSUMER_DEFAULTS /
    PRODUCER_DEFAULTS and adds what it owns (group id, offset reset, no auto-commit).

    >>> PumpConfig(group_id="recipe", input_topic="timeDest", output_topics=("evenDest", "oddDest"),
    ...            client={"bootstrap_servers": ["localhost:9092"]}).start_offset
    'earliest'
    """

    group_id: str
    input_topic: str
    output_topics: tuple[str, ...]
    client: Mapping[str, Any] = field(default_factory=dict)
    consumer: Mapping[str, Any] = field(default_factory=dict)
    producer: Mapping[str, Any] = field(default_factory=dict)
    admin: Mapping[str, Any] = field(default_factory=dict)
    # router.kafka.client: the client library (pump/clients), one of KAFKA_CLIENTS.
    kafka_client: str = KAFKA_CLIENTS[0]
    # router.delivery: one of DELIVERIES; exactly-once needs `transactional_id`.
    delivery: str = DELIVERIES[0]
    transactional_id: str | None = None
    # Static membership: the consumer's group.instance.id unless `consumer` gives one
    # (python_router/instance_identity.py decides it).
    group_instance_id: str | None = None
    # SCDF's startOffset: where a group with no committed offset starts.
    start_offset: Literal["earliest", "latest"] = "earliest"
    # Spring Cloud Stream's binder topic provisioning.
    auto_create_topics: bool = True
    min_partition_count: int = 1
    replication_factor: int = -1  # -1: the broker's default.replication.factor
    # How long one poll waits for records: bounds how soon a stop request is noticed when idle.
    poll_timeout_ms: int = 500
    # How long to wait for the broker to acknowledge a batch before giving up, rewinding and retrying.
    ack_timeout_s: float = 30.0
    # Whole shutdown budget after SIGTERM: finish the batch, flush, commit, leave the group.
    shutdown_timeout_s: float = 20.0
    # Backoff between retries of a batch the broker or the sidecar could not take (doubling, capped).
    retry_backoff_s: float = 0.2
    retry_backoff_max_s: float = 10.0
    # With an idle input, ask the broker something this often, so that health notices it going away.
    broker_probe_interval_s: float = 10.0
    # The `__connect.errors.connector.name` and `.task.id` of dead letters: the app and its instance.
    app_name: str = "python-router"
    instance_index: int = 0

    def __post_init__(self) -> None:
        problems = []
        if not self.group_id:
            problems.append(f"group_id is empty: set {INPUT_GROUP}")
        if not self.input_topic:
            problems.append(f"input_topic is empty: set {INPUT_DESTINATION}")
        if self.kafka_client not in KAFKA_CLIENTS:
            problems.append(f"kafka_client is {self.kafka_client!r}: use one of {', '.join(KAFKA_CLIENTS)}")
        if self.delivery not in DELIVERIES:
            problems.append(f"delivery is {self.delivery!r}: use one of {', '.join(DELIVERIES)}")
        if self.exactly_once and not self.transactional_id:
            problems.append("delivery is exactly-once but transactional_id is empty")
        if self.start_offset not in ("earliest", "latest"):
            problems.append(f"start_offset is {self.start_offset!r}: use 'earliest' or 'latest'")
        if self.replication_factor == 0 or self.replication_factor < -1:
            problems.append(
                f"replication_factor is {self.replication_factor}: use -1 (the broker's default) or at least 1"
            )
        for name in ("poll_timeout_ms", "ack_timeout_s", "shutdown_timeout_s", "retry_backoff_s"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} is {getattr(self, name)}: it must be positive")
        if problems:
            raise ConfigError([f"Invalid pump configuration: {problem}." for problem in problems])

    @property
    def exactly_once(self) -> bool:
        return self.delivery == "exactly-once"

    @property
    def partitions(self) -> int:
        """Partitions of a topic the pump creates (Spring's minPartitionCount, at least 1)."""
        return max(self.min_partition_count, 1)

    @property
    def brokers(self) -> str:
        """The bootstrap servers, for health details and messages."""
        given = {**self.client, **self.consumer}
        servers = given.get("bootstrap_servers", given.get("bootstrap.servers", "localhost:9092"))
        return servers if isinstance(servers, str) else ",".join(servers)

    @property
    def max_request_size_key(self) -> str:
        """The producer setting that bounds one request (Kafka's max.request.size), in the client's terms."""
        return "message.max.bytes" if self.kafka_client == "librdkafka" else "max_request_size"

    @property
    def max_poll_records(self) -> int:
        """The most records one poll returns (Kafka's max.poll.records), from the client's settings."""
        key = "max.poll.records" if self.kafka_client == "librdkafka" else "max_poll_records"
        return int(self.consumer_configs()[key])

    def consumer_configs(self) -> dict[str, Any]:
        """The consumer's settings in the client's terms: defaults, then `client` and `consumer`, then what the
        pump owns. Static membership's group.instance.id is a default (the user's own wins)."""
        if self.kafka_client == "librdkafka":
            static_rd = {"group.instance.id": self.group_instance_id} if self.group_instance_id else {}
            committed_rd = {"isolation.level": "read_committed"} if self.exactly_once else {}
            return {
                **LIBRDKAFKA_CONSUMER_DEFAULTS,
                **static_rd,
                **self.client,
                **self.consumer,
                **LIBRDKAFKA_CONSUMER_REQUIRED,
                **committed_rd,
                "group.id": self.group_id,
                "auto.offset.reset": self.start_offset,
            }
        static = {"group_instance_id": self.group_instance_id} if self.group_instance_id else {}
        # Exactly-once: the input's aborted records (an upstream transaction's) are never routed.
        committed = {"isolation_level": "read_committed"} if self.exactly_once else {}
        return {
            **CLIENT_DEFAULTS,
            **RECONNECT_DEFAULTS,
            **CONSUMER_DEFAULTS,
            **static,
            **self.client,
            **self.consumer,
            **CONSUMER_REQUIRED,
            **committed,
            "group_id": self.group_id,
            "auto_offset_reset": self.start_offset,
        }

    def producer_configs(self) -> dict[str, Any]:
        if self.kafka_client == "librdkafka":
            transactional_rd = {"transactional.id": self.transactional_id} if self.exactly_once else {}
            return {**LIBRDKAFKA_PRODUCER_DEFAULTS, **self.client, **self.producer, **transactional_rd}
        transactional = {"transactional_id": self.transactional_id} if self.exactly_once else {}
        return {
            **CLIENT_DEFAULTS,
            **RECONNECT_DEFAULTS,
            **PRODUCER_DEFAULTS,
            **self.client,
            **self.producer,
            **transactional,
        }

    def admin_configs(self) -> dict[str, Any]:
        if self.kafka_client == "librdkafka":
            return {**self.client, **self.admin}
        return {**CLIENT_DEFAULTS, **self.client, **self.admin}
