"""What to do when a stage fails on a record: Kafka Connect's `errors.*` keys (KIP-298), validated like
any other configuration and read by whoever runs the chain (the pump, the sidecar)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal, cast

from transforms.config import (
    AtLeast,
    Check,
    ConfigKey,
    ConfigSpec,
    ConfigValue,
    Type,
    ValidString,
    invalid_value,
    unknown_keys,
)
from transforms.errors import ConfigError

PREFIX = "errors."


def _replication_factor_reason(value: ConfigValue) -> str | None:
    if isinstance(value, int) and value != -1 and value < 1:
        return "Value must be -1 (the broker's default) or at least 1"
    return None


@dataclass(frozen=True, slots=True)
class ErrorPolicy:
    """The parsed `errors.*` keys. The defaults are Connect's, except the dead-letter topic's replication
    factor (-1: the broker's default, which works on a one-broker development cluster too).

    >>> ErrorPolicy.from_properties({"errors.tolerance": "all"}).tolerance
    'all'
    """

    tolerance: Literal["none", "all"] = "none"
    dead_letter_topic: str | None = None
    dead_letter_replication_factor: int = -1
    context_headers: bool = False
    log_enable: bool = False
    log_include_messages: bool = False
    retry_timeout_ms: int = 0
    retry_delay_max_ms: int = 60000

    SPEC: ClassVar[ConfigSpec] = ConfigSpec(
        ConfigKey("errors.tolerance", Type.STRING, "none",
                  "Behavior for tolerating errors: `none` stops at the first failed record (nothing past it "
                  "is committed); `all` skips it, sending it to the dead letter queue topic when one is set.",
                  ValidString(("none", "all"))),
        ConfigKey("errors.deadletterqueue.topic.name", Type.STRING, "",
                  "The topic that receives each failed record (its original key, value and headers) when "
                  "`errors.tolerance=all`. Empty: failed records are only logged, then skipped."),
        ConfigKey("errors.deadletterqueue.topic.replication.factor", Type.INT, -1,
                  "Replication factor of the dead letter queue topic when it is created; -1 is the broker's "
                  "default.", Check(_replication_factor_reason, "-1 or [1,...]")),
        ConfigKey("errors.deadletterqueue.context.headers.enable", Type.BOOLEAN, False,
                  "If true, add `__connect.errors.*` headers saying where and why the record failed."),
        ConfigKey("errors.log.enable", Type.BOOLEAN, False,
                  "If true, log each error and the details of the failed operation and record."),
        ConfigKey("errors.log.include.messages", Type.BOOLEAN, False,
                  "Whether to include the record's key, value and headers in the error log."),
        ConfigKey("errors.retry.timeout", Type.LONG, 0,
                  "The maximum time in milliseconds a failed operation that says it is retriable is retried; "
                  "0 means no retries, -1 retries forever.", AtLeast(-1)),
        ConfigKey("errors.retry.delay.max.ms", Type.LONG, 60000,
                  "The maximum time in milliseconds between consecutive retries.", AtLeast(0)),
    )  # fmt: skip

    @classmethod
    def from_properties(cls, properties: Mapping[str, str], *, input_topic: str | None = None) -> ErrorPolicy:
        """The policy the `errors.*` keys of `properties` describe; raises ConfigError listing every problem.

        `input_topic`, when known, may not be the dead letter topic (failed records would loop forever).
        """
        policy, problems = parse_error_policy(properties, input_topic=input_topic)
        if policy is None:
            raise ConfigError(problems)
        return policy


def parse_error_policy(
    properties: Mapping[str, str], *, input_topic: str | None = None
) -> tuple[ErrorPolicy | None, list[str]]:
    """The policy, or None and every problem found."""
    config, problems = ErrorPolicy.SPEC.validate(properties, prefix="")
    declared = [name.removeprefix(PREFIX) for name in ErrorPolicy.SPEC.names()]
    given = [key.removeprefix(PREFIX) for key in properties if key.startswith(PREFIX)]
    problems += unknown_keys(declared, given, PREFIX, "error handling")
    dead_letter_topic = config.get("errors.deadletterqueue.topic.name")
    if input_topic is not None and dead_letter_topic == input_topic:
        problems.append(
            invalid_value(
                dead_letter_topic,
                "errors.deadletterqueue.topic.name",
                "the dead letter queue topic may not be the input topic: failed records would be read and "
                "fail again forever; name another topic, such as " + input_topic + ".dlq",
            )
        )
    if problems:
        return None, problems
    return (
        ErrorPolicy(
            tolerance=cast(Literal["none", "all"], config.string("errors.tolerance")),
            dead_letter_topic=config.string("errors.deadletterqueue.topic.name") or None,
            dead_letter_replication_factor=config.integer("errors.deadletterqueue.topic.replication.factor"),
            context_headers=config.boolean("errors.deadletterqueue.context.headers.enable"),
            log_enable=config.boolean("errors.log.enable"),
            log_include_messages=config.boolean("errors.log.include.messages"),
            retry_timeout_ms=config.integer("errors.retry.timeout"),
            retry_delay_max_ms=config.integer("errors.retry.delay.max.ms"),
        ),
        [],
    )
