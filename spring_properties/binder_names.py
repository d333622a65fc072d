"""The names of Spring Cloud Stream's Kafka binder properties that python-router honours, spelled once for
every package: the entry point reads them (python_router/binder.py), the pump and the sidecar name them in
their advice."""

from __future__ import annotations

from typing import Final

BINDINGS: Final = "spring.cloud.stream.bindings"
INPUT_DESTINATION: Final = "spring.cloud.stream.bindings.input.destination"
INPUT_GROUP: Final = "spring.cloud.stream.bindings.input.group"
BROKERS: Final = "spring.cloud.stream.kafka.binder.brokers"
DEFAULT_BROKER_PORT: Final = "spring.cloud.stream.kafka.binder.defaultBrokerPort"
CONFIGURATION: Final = "spring.cloud.stream.kafka.binder.configuration"
CONSUMER_PROPERTIES: Final = "spring.cloud.stream.kafka.binder.consumerProperties"
PRODUCER_PROPERTIES: Final = "spring.cloud.stream.kafka.binder.producerProperties"
INPUT_CONSUMER_CONFIGURATION: Final = "spring.cloud.stream.kafka.bindings.input.consumer.configuration"
START_OFFSET: Final = "spring.cloud.stream.kafka.bindings.input.consumer.startOffset"
AUTO_CREATE_TOPICS: Final = "spring.cloud.stream.kafka.binder.autoCreateTopics"
AUTO_ADD_PARTITIONS: Final = "spring.cloud.stream.kafka.binder.autoAddPartitions"
REPLICATION_FACTOR: Final = "spring.cloud.stream.kafka.binder.replicationFactor"
MIN_PARTITION_COUNT: Final = "spring.cloud.stream.kafka.binder.minPartitionCount"
