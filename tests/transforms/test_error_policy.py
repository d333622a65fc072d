import pytest

from transforms import ConfigError, ErrorPolicy


def test_defaults() -> None:
    assert ErrorPolicy.from_properties({}) == ErrorPolicy(
        tolerance="none",
        dead_letter_topic=None,
        dead_letter_replication_factor=-1,
        context_headers=False,
        log_enable=False,
        log_include_messages=False,
        retry_timeout_ms=0,
        retry_delay_max_ms=60000,
    )


def test_every_key() -> None:
    policy = ErrorPolicy.from_properties(
        {
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": " timeDest.dlq ",
            "errors.deadletterqueue.topic.replication.factor": "3",
            "errors.deadletterqueue.context.headers.enable": "true",
            "errors.log.enable": "true",
            "errors.log.include.messages": "true",
            "errors.retry.timeout": "-1",
            "errors.retry.delay.max.ms": "1000",
        }
    )
    assert policy == ErrorPolicy("all", "timeDest.dlq", 3, True, True, True, -1, 1000)


def problems(properties: dict[str, str], input_topic: str | None = None) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as caught:
        ErrorPolicy.from_properties(properties, input_topic=input_topic)
    return caught.value.problems


def test_bad_values_wording() -> None:
    assert problems(
        {
            "errors.tolerance": "ALL",
            "errors.deadletterqueue.topic.replication.factor": "0",
            "errors.log.enable": "1",
            "errors.retry.timeout": "-2",
        }
    ) == (
        "Invalid value ALL for configuration errors.tolerance: String must be one of: none, all",
        "Invalid value 0 for configuration errors.deadletterqueue.topic.replication.factor: "
        "Value must be -1 (the broker's default) or at least 1",
        "Invalid value 1 for configuration errors.log.enable: Expected value to be either true or false",
        "Invalid value -2 for configuration errors.retry.timeout: Value must be at least -1",
    )


def test_unknown_errors_key() -> None:
    assert problems({"errors.deadletterqueue.topic.nmae": "x"}) == (
        'Unknown configuration "errors.deadletterqueue.topic.nmae": it is not a key of error handling. '
        'Did you mean "errors.deadletterqueue.topic.name"?',
    )


def test_dead_letter_topic_may_not_be_the_input() -> None:
    assert problems({"errors.deadletterqueue.topic.name": "timeDest"}, input_topic="timeDest") == (
        "Invalid value timeDest for configuration errors.deadletterqueue.topic.name: the dead letter queue topic "
        "may not be the input topic: failed records would be read and fail again forever; name another topic, "
        "such as timeDest.dlq",
    )
