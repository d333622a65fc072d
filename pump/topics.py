"""Topic provisioning as Spring Cloud Stream's binder does it (`autoCreateTopics`, `minPartitionCount`,
`replicationFactor`): create what is missing, never alter what exists."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Final

from .clients import Admin, TopicSpec
from .config import PumpConfig
from .errors import TopicsMissing, TopicsNotCreated

log = logging.getLogger("pump.topics")

# Room a dead letter needs beyond the original record: Connect's context headers (the stack trace is the
# largest, a few KiB; the exception message quotes at most 100 bytes of the value).
DEAD_LETTER_HEADROOM: Final = 64 * 1024
MAX_MESSAGE_BYTES: Final = "max.message.bytes"


def topic_specs(config: PumpConfig, dead_letter_topic: str | None, dead_letter_replication: int) -> list[TopicSpec]:
    """The topics the pump needs: input and outputs as the binder creates them, and the dead-letter topic as
    Connect does (one partition, its own replication factor)."""
    specs = [TopicSpec(config.input_topic, config.partitions, config.replication_factor)]
    specs += [TopicSpec(topic, config.partitions, config.replication_factor) for topic in config.output_topics]
    if dead_letter_topic:
        specs.append(TopicSpec(dead_letter_topic, 1, dead_letter_replication))
    return specs


def ensure_topics(admin: Admin, specs: Sequence[TopicSpec], *, auto_create: bool) -> list[str]:
    """Create the topics of `specs` that do not exist; returns their names. An existing topic is left as it
    is, whatever its partition count. Raises TopicsMissing when `auto_create` is off and one is missing,
    TopicsNotCreated when the broker refuses to create one."""
    existing = admin.topic_names()
    wanted = {spec.name: spec for spec in specs}  # the same topic twice (even = odd) is created once
    missing = [spec for name, spec in wanted.items() if name not in existing]
    if not missing:
        return []
    if not auto_create:
        raise TopicsMissing([spec.name for spec in missing])
    refused = admin.create_topics(missing)
    if refused:
        raise TopicsNotCreated(refused)
    for spec in missing:
        replication = "the broker's default" if spec.replication_factor == -1 else spec.replication_factor
        configs = "".join(f", {key}={value}" for key, value in spec.configs.items())
        log.info(
            "Created topic %s: %d partition(s), replication %s%s", spec.name, spec.partitions, replication, configs
        )
    return [spec.name for spec in missing]


def provision(
    admin: Admin, specs: Sequence[TopicSpec], input_topic: str, dead_letter_topic: str | None, *, auto_create: bool
) -> dict[str, int]:
    """Create the topics of `specs` that are missing (ensure_topics), the dead-letter topic sized so that any
    record its input takes fits it with Connect's context headers (max.message.bytes: the input's plus
    DEAD_LETTER_HEADROOM); returns the largest record each topic takes (max.message.bytes in force)."""
    others = [spec for spec in specs if spec.name != dead_letter_topic]
    ensure_topics(admin, others, auto_create=auto_create)
    input_limit = admin.max_message_bytes([input_topic])[input_topic]
    if dead_letter_topic:
        sized = {MAX_MESSAGE_BYTES: str(input_limit + DEAD_LETTER_HEADROOM)}
        dead = [
            dataclasses.replace(spec, configs={**spec.configs, **sized})
            for spec in specs
            if spec.name == dead_letter_topic
        ]
        ensure_topics(admin, dead, auto_create=auto_create)
    return admin.max_message_bytes([spec.name for spec in specs])
