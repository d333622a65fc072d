"""Recognising why Kafka refused a librdkafka client, from librdkafka's error codes and log lines as librdkafka
2.16 words them against a real broker (pump/librdkafka_trouble.py)."""

from __future__ import annotations

import logging

import pytest
from confluent_kafka import KafkaError

from pump.health import PumpHealth
from pump.librdkafka_trouble import LOGGER, LibrdkafkaTrouble

SCRAM = {
    "bootstrap.servers": "kafka:9093",
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.username": "router",
    "sasl.password": "Sup3r-S3cret-Pa55",
    "ssl.ca.location": "/etc/kafka/ca.pem",
}
AT = "sasl_ssl://kafka:9093/bootstrap: "
# Captured from librdkafka 2.16 against the project's SASL_SSL broker (scripts/local_kafka.py).
WRONG_PASSWORD = (
    f"{AT}SASL authentication error: Authentication failed during authentication due to invalid credentials with "
    "SASL mechanism SCRAM-SHA-512 (after 338ms in state AUTH_REQ)"
)
ANOTHER_CA = (
    f"{AT}SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not "
    "be verified, verify that ssl.ca.location is correctly configured or root CA certificates are installed "
    "(install ca-certificates package) (after 4ms in state SSL_HANDSHAKE)"
)
TLS_TO_PLAINTEXT = (
    f"{AT}SSL handshake failed: Disconnected: SSL connection closed by peer: connecting to a PLAINTEXT broker "
    "listener? (after 1ms in state SSL_HANDSHAKE)"
)
PLAINTEXT_TO_TLS = (
    "[thrd:kafka:9093/bootstrap]: kafka:9093/bootstrap: Disconnected: connection closed by peer: receive 0 after "
    "POLLIN (after 1ms in state APIVERSION_QUERY)"
)
NOTHING_LISTENS = (
    "kafka:9093/bootstrap: Connect to ipv4#10.0.0.1:9093 failed: Connection refused (after 0ms in state CONNECT)"
)


def trouble(**config: str) -> LibrdkafkaTrouble:
    return LibrdkafkaTrouble("kafka:9093", {**SCRAM, **config})


def log_record(text: str, level: int = logging.ERROR) -> logging.LogRecord:
    # confluent-kafka's `logger` calls log(level, "%s [%s] %s", facility, client name, message).
    return logging.LogRecord(LOGGER, level, __file__, 1, "%s [%s] %s", ("FAIL", "rdkafka#producer-1", text), None)


def test_wrong_credentials_are_named_from_the_authentication_error_code() -> None:
    watcher = trouble()
    watcher.observe(KafkaError._AUTHENTICATION, WRONG_PASSWORD)
    found = watcher.diagnosis()
    assert found is not None and found.cause == "authentication" and found.refused
    assert found.reason == (
        "Kafka at kafka:9093 refused the SASL credentials (SCRAM-SHA-512, user router): check the username and "
        "password in sasl.jaas.config, and that the user exists on the cluster for SCRAM-SHA-512 (the broker said: "
        "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512)"
    )


def test_a_certificate_from_another_ca_names_the_truststore() -> None:
    watcher = trouble()
    watcher.observe(KafkaError._SSL, ANOTHER_CA)
    found = watcher.diagnosis()
    assert found is not None and found.cause == "tls-certificate"
    assert "is not signed by the CA in ssl.truststore.location (/etc/kafka/ca.pem)" in found.reason
    assert "certificate verify failed" in found.reason


def test_a_tls_client_on_a_plaintext_listener_is_a_cut_handshake_until_the_listener_is_asked() -> None:
    watcher = trouble()
    watcher.observe(KafkaError._TRANSPORT, TLS_TO_PLAINTEXT)
    found = watcher.diagnosis()
    assert found is not None and found.cause == "tls-handshake"
    assert "security.protocol=SASL_SSL is wrong for it" in found.reason


def test_a_plaintext_client_on_a_tls_listener_is_a_hang_up_read_from_the_log() -> None:
    watcher = trouble(**{"security.protocol": "PLAINTEXT"})
    assert not watcher.filter(log_record(PLAINTEXT_TO_TLS, level=logging.INFO))  # read, and kept out of the log
    assert watcher.diagnosis() is None and watcher._hung_up  # explain() asks the listener (speaks_tls)


def test_nothing_listening_is_not_a_refusal() -> None:
    watcher = trouble()
    watcher.observe(KafkaError._TRANSPORT, NOTHING_LISTENS)
    found = watcher.diagnosis()
    assert found is not None and found.cause == "unreachable" and not found.refused


def test_a_tls_file_librdkafka_cannot_load_names_the_settings() -> None:
    error = KafkaError(
        KafkaError._INVALID_ARG,
        "Failed to create producer: ssl.ca.location failed: error:05880020:x509 certificate routines::BIO lib",
    )
    watcher = trouble()
    watcher.observe(error.code(), error.str())
    found = watcher.diagnosis()
    assert found is not None and found.cause == "tls-files" and found.refused
    assert "ssl.ca.location failed: error:05880020:x509 certificate routines::BIO lib" in found.reason


def test_an_idle_connection_closed_after_it_was_ready_says_nothing() -> None:
    watcher = trouble()
    watcher.filter(log_record(f"{AT}Disconnected (after 600000ms in state UP)", level=logging.INFO))
    assert watcher.diagnosis() is None and not watcher._hung_up


def test_the_passwords_are_masked_in_any_librdkafka_record() -> None:
    watcher = trouble(**{"ssl.key.password": "k3y-Pa55", "ssl.keystore.password": "st0re-Pa55"})
    for secret in ("Sup3r-S3cret-Pa55", "k3y-Pa55", "st0re-Pa55"):
        line = log_record(f"sasl.password = {secret}", level=logging.WARNING)
        assert watcher.filter(line)
        assert secret not in line.getMessage() and "******" in line.getMessage()


def test_client_config_adds_the_callback_and_the_logger() -> None:
    watcher = trouble()
    config = watcher.client_config(SCRAM)
    assert config["error_cb"] == watcher.error_cb and config["logger"] is logging.getLogger(LOGGER)
    assert {k: v for k, v in config.items() if k not in ("error_cb", "logger")} == SCRAM


def test_install_watches_the_librdkafka_logger_and_the_health_says_down() -> None:
    watcher = trouble()
    health = PumpHealth("group", "kafka:9093")
    health.trouble = watcher.diagnosis
    logger = logging.getLogger(LOGGER)
    watcher.install()
    try:
        assert watcher in logger.filters
        watcher.error_cb(KafkaError(KafkaError._AUTHENTICATION, WRONG_PASSWORD))
        kafka = health.components()["kafka"]
        assert kafka["status"] == "DOWN" and kafka["details"]["cause"] == "authentication"  # type: ignore[index]
    finally:
        watcher.remove()
    assert watcher not in logger.filters


@pytest.mark.parametrize("code", [KafkaError._ALL_BROKERS_DOWN, KafkaError._TIMED_OUT])
def test_errors_that_name_no_cause_are_not_guessed_at(code: int) -> None:
    watcher = trouble()
    watcher.observe(code, "1/1 brokers are down")
    assert watcher.diagnosis() is None
