"""Topic provisioning as Spring Cloud Stream's binder does it (`autoCreateTopics`, `minPartitionCount`,
`replicationFactor`): create what is missing, never alter what exists."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from kafka.admin import ConfigResource

from .errors import TopicsMissing, TopicsNotCreated

log = logging.getLogger("pump.topics")

_TOPIC_ALREADY_EXISTS = 36  # Kafka's error code: another replica created it first, which is fine
MAX_MESSAGE_BYTES: Final = "max.message.bytes"
# Kafka's default message.max.bytes (1 MiB plus a record batch's overhead), for a broker that does not say.
KAFKA_DEFAULT_MAX_MESSAGE_BYTES: Final = 1_048_588


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic the pump needs, and how to create it when missing (replication -1: the broker's default)."""

    name: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str] = field(default_factory=dict)  # topic configs set at creation


class Admin(Protocol):
    """The part of kafka-python's KafkaAdminClient provisioning uses."""

    def list_topics(self) -> list[str]: ...

    def create_topics(self, new_topics: dict[str, dict[str, int]], **kwargs: Any) -> dict[str, Any]: ...

    def wait_for_topics(self, topic_names: list[str], timeout_ms: int = ...) -> None: ...

    def describe_configs(self, config_resources: list[Any], **kwargs: Any) -> dict[str, Any]: ...

    def close(self) -> None: ...


def ensure_topics(admin: Admin, specs: Sequence[TopicSpec], *, auto_create: bool) -> list[str]:
    """Create the topics of `specs` that do not exist; returns their names. An existing topic is left as it
    is, whatever its partition count. Raises TopicsMissing when `auto_create` is off and one is missing,
    TopicsNotCreated when the broker refuses to create one."""
    existing = set(admin.list_topics())
    wanted = {spec.name: spec for spec in specs}  # the same topic twice (even = odd) is created once
    missing = [spec for name, spec in wanted.items() if name not in existing]
    if not missing:
        return []
    if not auto_create:
        raise TopicsMissing([spec.name for spec in missing])
    response = admin.create_topics(
        {
            s.name: {
                "num_partitions": s.partitions,
                "replication_factor": s.replication_factor,
                "configs": dict(s.configs),
            }
            for s in missing
        },
        raise_errors=False,
    )
    refused = {
        topic["name"]: topic.get("error_message") or f"error code {topic['error_code']}"
        for topic in response.get("topics", [])
        if topic.get("error_code") not in (0, _TOPIC_ALREADY_EXISTS)
    }
    if refused:
        raise TopicsNotCreated(refused)
    names = [spec.name for spec in missing]
    admin.wait_for_topics(names)
    for spec in missing:
        replication = "the broker's default" if spec.replication_factor == -1 else spec.replication_factor
        configs = "".join(f", {key}={value}" for key, value in spec.configs.items())
        log.info(
            "Created topic %s: %d partition(s), replication %s%s", spec.name, spec.partitions, replication, configs
        )
    return names


def max_message_bytes(admin: Admin, topics: Sequence[str]) -> dict[str, int]:
    """Each topic's largest record batch, in force (its own max.message.bytes, or the broker's default)."""
    resources = [ConfigResource("TOPIC", topic, [MAX_MESSAGE_BYTES]) for topic in dict.fromkeys(topics)]
    described = admin.describe_configs(resources, config_filter="all").get("topic", {})
    limits = {}
    for topic in topics:
        value = described.get(topic, {}).get(MAX_MESSAGE_BYTES, {}).get("value")
        limits[topic] = int(value) if value is not None else KAFKA_DEFAULT_MAX_MESSAGE_BYTES
    return limits
