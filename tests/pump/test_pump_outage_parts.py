"""The parts behind issue 17's fixes, alone: the clients' reconnect backoff, health during an outage, and
fitting a dead letter into its topic."""

from __future__ import annotations

import logging

from kafka.errors import KafkaConnectionError

from pump import PumpConfig
from pump.broker_trouble import BrokerTrouble
from pump.dead_letter import PREFIX, TRIMMED, fit, record_size
from pump.health import PumpHealth


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def config(**client: object) -> PumpConfig:
    return PumpConfig(group_id="g", input_topic="in", output_topics=("even", "odd"), client=client)


def test_the_clients_reconnect_within_a_second_unless_the_user_says_otherwise() -> None:
    default = config()
    for configs in (default.consumer_configs(), default.producer_configs()):
        assert configs["reconnect_backoff_max_ms"] == 1000
    assert "reconnect_backoff_max_ms" not in default.admin_configs()  # startup only: refused logins stay slow
    assert config(reconnect_backoff_max_ms=5000).producer_configs()["reconnect_backoff_max_ms"] == 5000


def refused(trouble: BrokerTrouble) -> None:
    record = logging.LogRecord(
        "kafka.net.manager",
        logging.ERROR,
        __file__,
        1,
        "Connection failed: %s",
        (KafkaConnectionError("111 ECONNREFUSED"),),
        None,
    )
    trouble.filter(record)


def test_a_refused_connection_after_the_last_answer_is_down_at_once_and_an_answer_after_it_clears_it() -> None:
    clock = Clock()
    trouble = BrokerTrouble("kafka:9092", {}, clock)
    health = PumpHealth("g", "kafka:9092", clock)
    health.trouble = trouble.diagnosis
    health.broker_answered()
    clock.now += 1
    refused(trouble)  # the loop is still waiting on a flush: nothing has told it yet
    kafka = health.components()["kafka"]
    assert kafka["status"] == "DOWN"
    assert str(kafka["details"]["error"]).startswith("Nothing listens at kafka:9092")  # type: ignore[index]
    clock.now += 1
    health.broker_answered()  # back
    kafka = health.components()["kafka"]
    assert kafka["status"] == "UP" and "error" not in kafka["details"]  # type: ignore[operator]


def test_a_missing_topic_is_down_and_named() -> None:
    health = PumpHealth("g", "kafka:9092", Clock())
    health.broker_answered()
    health.topics_missing = "Topic even does not exist"
    kafka = health.components()["kafka"]
    assert kafka["status"] == "DOWN" and kafka["details"]["error"] == "Topic even does not exist"  # type: ignore[index]


def test_a_dead_letter_that_fits_is_left_alone() -> None:
    headers = [("trace", b"t"), (PREFIX + "exception.message", b"m" * 100)]
    assert fit(b"k", b"v" * 1000, headers, limit=2000) == headers


def test_the_largest_context_headers_are_cut_to_fit_and_the_cut_is_recorded() -> None:
    own = ("big", b"o" * 500)
    headers = [
        own,
        (PREFIX + "topic", b"in"),
        (PREFIX + "exception.message", b"m" * 300),
        (PREFIX + "exception.stacktrace", b"s" * 3000),
    ]
    limit = 2500
    fitted = fit(b"k", b"v" * 1000, headers, limit)
    assert record_size(b"k", b"v" * 1000, fitted) <= limit
    names = dict(fitted)
    assert names["big"] == own[1] and names[PREFIX + "topic"] == b"in"  # the original's, and the small ones, kept
    assert len(names[PREFIX + "exception.stacktrace"]) < 3000
    assert names[TRIMMED].startswith(b"to fit 2500 bytes: exception.stacktrace 3000->")


def test_context_headers_are_dropped_when_cutting_is_not_enough_where_the_record_came_from_last() -> None:
    context = [(PREFIX + name, data) for name, data in [("topic", b"in"), ("partition", b"0"), ("offset", b"7")]]
    context += [(PREFIX + "stage", b"TRANSFORMATION"), (PREFIX + "exception.message", b"m" * 200)]
    value = b"v" * 1000
    limit = record_size(b"k", value, context[:3]) + 120  # room for the note, not for the other headers
    fitted = fit(b"k", value, context, limit)
    assert record_size(b"k", value, fitted) <= limit
    assert dict(fitted)[PREFIX + "topic"] == b"in" and dict(fitted)[PREFIX + "offset"] == b"7"
    assert b"exception.message dropped" in dict(fitted)[TRIMMED]
