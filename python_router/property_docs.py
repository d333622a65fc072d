"""What each Spring-style property python-router reads means: its type (as Spring's metadata writes it), its
default and a description, for SCDF's configuration metadata (scdf_metadata.py). The names are the ones the
code reads, imported from where they are declared; tests/scdf checks each default against a start.

The chain's keys (transforms.*, predicates.*, errors.*) are declared with their code in transforms/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from pump.config import DELIVERIES, DELIVERY, KAFKA_CLIENT, KAFKA_CLIENTS
from pump.remote import ROUTER_URL
from python_router import settings
from sidecar import settings as server
from spring_properties import binder_names as binder
from spring_properties import sources

# Java types, as Spring's metadata names them.
STRING: Final = "java.lang.String"
INTEGER: Final = "java.lang.Integer"
BOOLEAN: Final = "java.lang.Boolean"
DURATION: Final = "java.time.Duration"
DATA_SIZE: Final = "org.springframework.util.unit.DataSize"
STRINGS: Final = "java.lang.String[]"
STRING_SET: Final = "java.util.Set<java.lang.String>"
STRING_MAP: Final = "java.util.Map<java.lang.String,java.lang.String>"

JsonValue = str | int | bool | list[str] | None


@dataclass(frozen=True, slots=True)
class PropertyDoc:
    """One property: its name as a user writes it, Spring's type, its default (None: none), what it does,
    and the values it takes when they are a fixed set (value, meaning)."""

    name: str
    type: str
    description: str
    default: JsonValue = None
    values: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class GroupDoc:
    """Properties under one prefix, read by one class (Spring's metadata "group")."""

    name: str
    source: str
    description: str
    properties: tuple[PropertyDoc, ...]


def _group(name: str, source: str, description: str, *properties: PropertyDoc) -> GroupDoc:
    return GroupDoc(name, source, description, properties)


_SETTINGS: Final = "python_router.settings.Settings"
_BINDER: Final = "python_router.binder.Binder"
_SERVER: Final = "sidecar.settings.SidecarSettings"
_DEFAULT_SERVER: Final = server.SidecarSettings()

GROUPS: Final = (
    _group(
        "router",
        _SETTINGS,
        "python-router's own settings: how it runs, where its routing chain is, how it stops.",
        PropertyDoc(
            settings.MODE,
            STRING,
            "What this process runs: the sidecar and the pump (all), only the sidecar "
            "(the classifying container of a two-container pod), or only the pump.",
            "all",
            (
                ("all", "The sidecar (HTTP) and the pump (Kafka) in one process."),
                ("sidecar", "Only the HTTP sidecar: /actuator and POST /route."),
                ("pump", "Only the Kafka pump, classifying in-process or through router.url."),
            ),
        ),
        PropertyDoc(
            ROUTER_URL,
            STRING,
            "Base URL of the sidecar a pump-only process classifies through "
            "(router.mode=pump), for example http://127.0.0.1:8080. Unset: classify in-process.",
        ),
        PropertyDoc(
            settings.CHAIN_LOCATION,
            STRING,
            "The routing chain: a Kafka Connect-style properties file "
            "(transforms=..., predicates=..., errors.*). Properties of the same names override it.",
            settings.DEFAULT_CHAIN,
        ),
        PropertyDoc(
            settings.CHAIN_WATCH,
            BOOLEAN,
            "Reload the chain whenever the chain file changes (a mounted ConfigMap's update included), as "
            "POST /actuator/refresh does.",
            False,
        ),
        PropertyDoc(
            KAFKA_CLIENT,
            STRING,
            "The pump's Kafka client library: kafka-python (the default) or librdkafka through confluent-kafka "
            "(pip install 'python-router[librdkafka]'), for throughput.",
            KAFKA_CLIENTS[0],
            (("kafka-python", "kafka-python, the default."), ("librdkafka", "librdkafka through confluent-kafka.")),
        ),
        PropertyDoc(
            DELIVERY,
            STRING,
            "The delivery guarantee: at-least-once, or exactly-once (Kafka transactions: each batch's outputs, "
            "dead letters and offsets in one transaction; on both Kafka clients).",
            DELIVERIES[0],
            (
                ("at-least-once", "Commit offsets after the broker acknowledged every output, the default."),
                ("exactly-once", "Outputs, dead letters and offsets in one Kafka transaction per batch."),
            ),
        ),
        PropertyDoc(
            settings.STATIC_MEMBERSHIP,
            BOOLEAN,
            "Join the consumer group as a static member (group.instance.id) when the instance has a stable, "
            "unique identity (an instance index, or the pod's name in Kubernetes), so a restart rejoins in seconds.",
            True,
        ),
        PropertyDoc(
            settings.SHUTDOWN_TIMEOUT,
            DURATION,
            "How long a stop (SIGTERM) may take to finish the batch, flush, commit and leave the group.",
            "20s",
        ),
        PropertyDoc(
            server.LIVENESS_TIMEOUT,
            DURATION,
            "Liveness goes DOWN when the consume loop has made no progress for this long.",
            f"{_DEFAULT_SERVER.liveness_timeout_s:g}s",
        ),
        PropertyDoc(
            server.ROUTE_ENABLED,
            BOOLEAN,
            "Whether POST /route and /route/batch are served (default false in router.mode=pump).",
            _DEFAULT_SERVER.route_enabled,
        ),
        PropertyDoc(
            server.MAX_BATCH_RECORDS,
            INTEGER,
            "Most records in one /route/batch request; more get 413.",
            _DEFAULT_SERVER.max_batch_records,
        ),
    ),
    _group(
        "server",
        _SERVER,
        "The HTTP server of the actuator and POST /route.",
        PropertyDoc(
            server.SERVER_PORT,
            INTEGER,
            "HTTP port of the actuator and POST /route (0: a free port).",
            _DEFAULT_SERVER.port,
        ),
        PropertyDoc(server.SERVER_ADDRESS, STRING, "Address the HTTP server binds.", _DEFAULT_SERVER.host),
        PropertyDoc(
            server.MAX_REQUEST_SIZE,
            DATA_SIZE,
            "Largest request body accepted (Spring's DataSize: 1048576, 512KB, 4MB); a larger one gets 413.",
            f"{_DEFAULT_SERVER.max_request_size // (1024 * 1024)}MB",
        ),
        PropertyDoc(
            server.CONNECTION_TIMEOUT,
            DURATION,
            "Time a connection has to deliver a complete request (and to read its answer) before it is closed.",
            f"{_DEFAULT_SERVER.connection_timeout_s:g}s",
        ),
        PropertyDoc(
            server.MAX_CONNECTIONS,
            INTEGER,
            "Open HTTP connections at most; at the cap the one waiting longest for its request is closed.",
            _DEFAULT_SERVER.max_connections,
        ),
    ),
    _group(
        "management.endpoints.web.exposure",
        _SERVER,
        "Which actuator endpoints are served over HTTP, as in Spring Boot.",
        PropertyDoc(
            server.EXPOSURE_INCLUDE,
            STRING_SET,
            "Endpoint ids to expose (health, info, prometheus; * for all).",
            server.DEFAULT_EXPOSURE.split(","),
        ),
        PropertyDoc(server.EXPOSURE_EXCLUDE, STRING_SET, "Endpoint ids not to expose, even if included."),
    ),
    _group(
        "spring.cloud.stream.bindings",
        _BINDER,
        "The bindings of the recipe's app: one input and two outputs, each bound to a Kafka topic.",
        PropertyDoc(f"{binder.BINDINGS}.input.destination", STRING, "The topic records are read from.", "input"),
        PropertyDoc(
            binder.INPUT_GROUP,
            STRING,
            "The consumer group (offsets are committed under it). Default: "
            "the stream's name (spring.cloud.dataflow.stream.name), else spring.application.name.",
        ),
        PropertyDoc(
            f"{binder.BINDINGS}.even.destination", STRING, "The topic for records with an even timestamp.", "even"
        ),
        PropertyDoc(
            f"{binder.BINDINGS}.odd.destination", STRING, "The topic for records with an odd timestamp.", "odd"
        ),
    ),
    _group(
        "spring.cloud.stream.kafka.binder",
        _BINDER,
        "The Kafka binder's settings, as Spring Cloud Stream's Kafka binder reads them.",
        PropertyDoc(
            binder.BROKERS, STRINGS, "Kafka brokers, host[:port] (a PLAINTEXT:// prefix is accepted).", ["localhost"]
        ),
        PropertyDoc(binder.DEFAULT_BROKER_PORT, INTEGER, "Port of a broker given without one.", 9092),
        PropertyDoc(
            binder.CONFIGURATION,
            STRING_MAP,
            "Kafka client settings for every client "
            "(security.protocol, sasl.*, ssl.*, and tuning such as max.poll.records).",
        ),
        PropertyDoc(binder.CONSUMER_PROPERTIES, STRING_MAP, "Kafka client settings for the consumer only."),
        PropertyDoc(binder.PRODUCER_PROPERTIES, STRING_MAP, "Kafka client settings for the producer only."),
        PropertyDoc(
            binder.AUTO_CREATE_TOPICS,
            BOOLEAN,
            "Create the bindings' topics (and the dead letter topic) when missing.",
            True,
        ),
        PropertyDoc(
            binder.AUTO_ADD_PARTITIONS,
            BOOLEAN,
            "Ignored with a warning: python-router never alters an existing topic.",
            False,
        ),
        PropertyDoc(
            binder.REPLICATION_FACTOR,
            INTEGER,
            "Replication factor of the topics it creates (-1: the broker's default).",
            -1,
        ),
        PropertyDoc(binder.MIN_PARTITION_COUNT, INTEGER, "Partitions of the topics it creates.", 1),
    ),
    _group(
        "spring.cloud.stream.kafka.bindings.input.consumer",
        _BINDER,
        "The input binding's Kafka consumer.",
        PropertyDoc(
            binder.START_OFFSET,
            STRING,
            "Where a group with no committed offset starts.",
            "earliest",
            (("earliest", "The oldest record kept."), ("latest", "Only records written from now on.")),
        ),
        PropertyDoc(
            binder.INPUT_CONSUMER_CONFIGURATION, STRING_MAP, "Kafka client settings for the input binding's consumer."
        ),
    ),
    _group(
        "spring.cloud.stream",
        _SETTINGS,
        "Which instance of a scaled-out app this is.",
        PropertyDoc(settings.INSTANCE_INDEX, INTEGER, "This instance's index (SCDF sets it).", 0),
        PropertyDoc(settings.INSTANCE_COUNT, INTEGER, "How many instances run (SCDF sets it).", 1),
    ),
    _group(
        "spring.application",
        _SETTINGS,
        "The application's identity.",
        PropertyDoc(
            settings.APPLICATION_NAME,
            STRING,
            "The app's name: in logs, /actuator/info, and dead letters' __connect.errors.connector.name header.",
            "python-router",
        ),
    ),
    _group(
        "spring.cloud.dataflow.stream",
        _SETTINGS,
        "The SCDF stream this app belongs to (SCDF sets them).",
        PropertyDoc(settings.STREAM_NAME, STRING, "The stream's name; the default consumer group."),
        PropertyDoc(settings.APP_LABEL, STRING, "The app's label in the stream."),
    ),
    _group(
        "spring.cloud.application",
        _SETTINGS,
        "The instance SCDF deploys (SCDF sets them, as SPRING_CLOUD_APPLICATION_GROUP and _GUID).",
        PropertyDoc(
            settings.APPLICATION_GROUP, STRING, "The stream's name, when spring.cloud.dataflow.stream.name is not set."
        ),
        PropertyDoc(
            settings.APPLICATION_GUID, STRING, "This instance's id (the pod's uid; the port under the local deployer)."
        ),
    ),
    _group(
        "spring.config",
        "spring_properties.sources.PropertySources",
        "Where Spring's properties files are.",
        PropertyDoc(
            sources.CONFIG_LOCATION,
            STRING,
            "Comma-separated .properties files to read (default: "
            "/config/application.properties when it exists, as SCDF's Kubernetes deployer writes it).",
        ),
    ),
)
"""Every Spring-side property python-router reads, by group."""
