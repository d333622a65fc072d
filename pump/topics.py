"""Topic provisioning as Spring Cloud Stream's binder does it (`autoCreateTopics`, `minPartitionCount`,
`replicationFactor`): create what is missing, never alter what exists."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import TopicsMissing, TopicsNotCreated

log = logging.getLogger("pump.topics")

_TOPIC_ALREADY_EXISTS = 36  # Kafka's error code: another replica created it first, which is fine


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic the pump needs, and how to create it when missing (replication -1: the broker's default)."""

    name: str
    partitions: int
    replication_factor: int


class Admin(Protocol):
    """The part of kafka-python's KafkaAdminClient provisioning uses."""

    def list_topics(self) -> list[str]: ...

    def create_topics(self, new_topics: dict[str, dict[str, int]], **kwargs: Any) -> dict[str, Any]: ...

    def wait_for_topics(self, topic_names: list[str], timeout_ms: int = ...) -> None: ...

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
        {s.name: {"num_partitions": s.partitions, "replication_factor": s.replication_factor} for s in missing},
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
        log.info("Created topic %s: %d partition(s), replication %s", spec.name, spec.partitions, replication)
    return names
