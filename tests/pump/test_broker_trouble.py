"""Recognising why Kafka refused a connection from kafka-python's log records, and keeping its repeated
connection errors to one line per window (pump/broker_trouble.py)."""

from __future__ import annotations

import logging
import socket
import ssl
import struct
import threading
from collections.abc import Iterator

import pytest
from kafka.errors import (
    InvalidReceiveError,
    KafkaConnectionError,
    SaslAuthenticationFailedError,
    UnsupportedSaslMechanismError,
)
from kafka.net.connection import KafkaConnection
from kafka.protocol.metadata import ApiVersionsRequest
from kafka.protocol.parser import KafkaProtocol
from kafka.protocol.sasl import SaslHandshakeRequest

from pump.broker_trouble import BrokerTrouble, Diagnosis, RepeatLimiter, speaks_plaintext_kafka, speaks_tls
from pump.health import PumpHealth

SCRAM = {
    "security_protocol": "SASL_SSL",
    "sasl_mechanism": "SCRAM-SHA-512",
    "sasl_plain_username": "router",
    "sasl_plain_password": "Sup3r-S3cret-Pa55",
    "ssl_cafile": "/etc/kafka/ca.pem",
}
AUTH_FAILED = SaslAuthenticationFailedError(
    "SaslAuthenticationFailedError: Authentication failed during authentication due to invalid credentials "
    "with SASL mechanism SCRAM-SHA-512"
)


def record(
    message: str, *args: object, level: int = logging.ERROR, name: str = "kafka.net.connection"
) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, args, None)


def seen(trouble: BrokerTrouble, *errors: BaseException) -> Diagnosis | None:
    for error in errors:
        trouble.filter(record("%s: Connection lost: %s", "<KafkaConnection node_id=bootstrap-0>", error))
    return trouble.diagnosis()


def test_wrong_credentials_are_named_with_the_mechanism_the_user_and_what_to_check() -> None:
    found = seen(BrokerTrouble("kafka:9093", SCRAM), AUTH_FAILED)
    assert found is not None and found.cause == "authentication" and found.refused
    assert found.reason.startswith(
        "Kafka at kafka:9093 refused the SASL credentials (SCRAM-SHA-512, user router): check the username and "
        "password in sasl.jaas.config"
    )
    assert found.reason.endswith(
        "(the broker said: Authentication failed during authentication due to invalid "
        "credentials with SASL mechanism SCRAM-SHA-512)"
    )


def test_a_bare_disconnect_after_a_refusal_keeps_the_refusal() -> None:
    # kafka-python 3.0.12 drops the broker's answer when the close arrives in the same read: most refused
    # attempts look like "socket disconnected".
    trouble = BrokerTrouble("kafka:9093", SCRAM)
    found = seen(trouble, AUTH_FAILED, KafkaConnectionError("socket disconnected"))
    assert found is not None and found.cause == "authentication"


HUNG_UP = KafkaConnectionError("socket disconnected")


def connection(requests_sent: int, protocol: str = "SASL_SSL") -> KafkaConnection:
    """A real kafka-python connection that has sent `requests_sent` requests (ApiVersions first, then, with
    SASL on, SaslHandshake once ApiVersions was answered), as the filter will find it in "Connection lost"."""
    made = KafkaConnection(None, node_id="bootstrap-0", security_protocol=protocol, sasl_mechanism="SCRAM-SHA-512")
    made.parser = KafkaProtocol(client_id="test")
    requests = [ApiVersionsRequest(version=0), SaslHandshakeRequest(mechanism="SCRAM-SHA-512", version=1)]
    for request in requests[:requests_sent]:
        made.parser.send_request(request)
    return made


def lose(trouble: BrokerTrouble, lost: KafkaConnection, error: BaseException = HUNG_UP) -> Diagnosis | None:
    """kafka-python's own connection_lost(), which logs "Connection lost" through its logger, watched."""
    logger = logging.getLogger("kafka.net.connection")
    logger.addFilter(trouble)
    try:
        lost.connection_lost(error)
    finally:
        logger.removeFilter(trouble)
    return trouble.diagnosis()


def test_a_hang_up_in_the_middle_of_sasl_is_taken_for_a_refusal_and_says_it_is_a_guess() -> None:
    # On a busy machine kafka-python reads the broker's refusal and its close in one go, and drops the refusal,
    # attempt after attempt: without this the pump would call the broker unreachable and retry it quickly.
    trouble = BrokerTrouble("kafka:9093", SCRAM)
    found = lose(trouble, connection(requests_sent=2))
    assert found is not None and found.cause == "authentication" and found.refused
    assert found.reason == (
        "Kafka at kafka:9093 closed the connection during SASL authentication (SCRAM-SHA-512, user router) "
        "without a reason kafka-python could read: it most likely refused the credentials: check the username "
        "and password in sasl.jaas.config, and that the user exists on the cluster for SCRAM-SHA-512 (or, if "
        "that listener takes no SASL, set security.protocol=SSL)"
    )
    # What the broker itself says replaces the guess; the guess never replaces what it said.
    broker_said = seen(BrokerTrouble("kafka:9093", SCRAM), AUTH_FAILED)
    assert seen(trouble, AUTH_FAILED) == broker_said
    assert lose(trouble, connection(requests_sent=2)) == broker_said


def test_the_guess_replaces_unreachable_once_the_broker_is_there() -> None:
    # Started before Kafka: connection refused first, then the wrong password.
    trouble = BrokerTrouble("kafka:9093", SCRAM)
    assert seen(trouble, KafkaConnectionError("111 ECONNREFUSED")) is not None
    found = lose(trouble, connection(requests_sent=2))
    assert found is not None and found.cause == "authentication"


@pytest.mark.parametrize(
    ("lost", "why"),
    [
        (connection(requests_sent=1), "closed before it answered ApiVersions: not SASL's doing"),
        (connection(requests_sent=2, protocol="SSL"), "no SASL"),
    ],
    ids=["before-api-versions", "no-sasl"],
)
def test_other_hang_ups_are_not_taken_for_a_refusal(lost: KafkaConnection, why: str) -> None:
    assert lose(BrokerTrouble("kafka:9093", SCRAM), lost) is None, why


def test_a_connection_lost_after_it_was_ready_is_not_a_refusal() -> None:
    ready = connection(requests_sent=2)
    ready.init_future.success(None)  # authenticated and working; then the broker went away
    assert lose(BrokerTrouble("kafka:9093", SCRAM), ready) is None


def test_a_record_with_only_the_text_of_the_connection_is_not_a_refusal() -> None:
    trouble = BrokerTrouble("kafka:9093", SCRAM)
    trouble.filter(record("%s: Connection lost: %s", "<KafkaConnection node_id=bootstrap-0>", HUNG_UP))
    assert trouble.diagnosis() is None


def test_an_unreachable_broker_replaces_an_old_refusal_and_is_not_a_refusal() -> None:
    found = seen(BrokerTrouble("kafka:9093", SCRAM), AUTH_FAILED, KafkaConnectionError("111 ECONNREFUSED"))
    assert found is not None and found.cause == "unreachable" and not found.refused
    assert found.reason == (
        "Nothing listens at kafka:9093 (connection refused): check spring.cloud.stream.kafka.binder.brokers, "
        "and that the broker is up"
    )
    dns = seen(BrokerTrouble("kafka:9093", SCRAM), KafkaConnectionError("DNS Resolution failure"))
    assert dns is not None and "cannot be resolved" in dns.reason


@pytest.mark.parametrize(
    ("said", "cause", "words"),
    [
        (
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain",
            "tls-certificate",
            "is not signed by the CA in ssl.truststore.location (/etc/kafka/ca.pem)",
        ),
        (
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate",
            "tls-certificate",
            "is not signed by the CA in ssl.truststore.location",
        ),
        (
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired",
            "tls-certificate",
            "has expired",
        ),
        (
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not "
            "valid for 'kafka'.",
            "tls-hostname",
            "ssl.endpoint.identification.algorithm",
        ),
        (
            "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required",
            "tls-refused",
            "set ssl.keystore.location",
        ),
        (
            "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol",
            "tls-handshake",
            "closed the connection during the TLS handshake",
        ),
        ("[SSL: WRONG_VERSION_NUMBER] wrong version number", "tls-handshake", "security.protocol=SASL_SSL is wrong"),
    ],
)
def test_tls_failures_say_which_setting_to_fix(said: str, cause: str, words: str) -> None:
    found = seen(BrokerTrouble("kafka:9093", SCRAM), KafkaConnectionError(f"Handshake failed: {said} (_ssl.c:1006)"))
    assert found is not None and found.cause == cause
    assert words in found.reason


def test_without_a_truststore_the_system_cas_are_blamed() -> None:
    error = KafkaConnectionError("Handshake failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    found = seen(BrokerTrouble("kafka:9093", {**SCRAM, "ssl_cafile": None}), error)
    assert found is not None and "a CA this system trusts (ssl.truststore.location is not set)" in found.reason


@pytest.mark.parametrize(
    "error",
    [ssl.SSLError(9, "[SSL] PEM lib (_ssl.c:3926)"), FileNotFoundError(2, "No such file or directory")],
)
def test_tls_files_that_cannot_be_loaded_name_the_settings_and_the_key_password(error: OSError) -> None:
    found = seen(BrokerTrouble("kafka:9093", SCRAM), error)
    assert found is not None and found.cause == "tls-files" and found.refused
    assert found.reason.startswith("The TLS files for Kafka at kafka:9093 could not be loaded (")
    assert "ssl.key.password (a wrong key password reads as 'PEM lib')" in found.reason


def test_an_unsupported_mechanism_lists_what_the_broker_offers() -> None:
    error = UnsupportedSaslMechanismError(
        "Kafka broker does not support SCRAM-SHA-512 sasl mechanism. Enabled mechanisms: ['PLAIN']"
    )
    found = seen(BrokerTrouble("kafka:9093", SCRAM), error)
    assert found is not None and found.cause == "sasl-mechanism"
    assert "does not offer SASL mechanism SCRAM-SHA-512 (it offers ['PLAIN'])" in found.reason


def test_a_tls_record_read_as_a_frame_length_means_the_listener_speaks_tls() -> None:
    alert = struct.unpack(">i", bytes([0x15, 0x03, 0x03, 0x00]))[0]
    trouble = BrokerTrouble("kafka:9093", {"security_protocol": "PLAINTEXT"})
    found = seen(trouble, InvalidReceiveError(f"Invalid frame length: {alert}"))
    assert found is not None and found.cause == "protocol-mismatch"
    assert found.reason.startswith("The listener at kafka:9093 speaks TLS (SSL or SASL_SSL) but security.protocol")
    assert seen(BrokerTrouble("k:1", {}), InvalidReceiveError("Invalid frame length: 2000000000")) is None


def test_records_below_warning_and_without_an_exception_are_ignored() -> None:
    trouble = BrokerTrouble("kafka:9093", SCRAM)
    trouble.filter(record("%s", AUTH_FAILED, level=logging.INFO))
    trouble.filter(record("Bootstrap failed: nothing to see"))
    assert trouble.diagnosis() is None


def test_clear_forgets() -> None:
    trouble = BrokerTrouble("kafka:9093", SCRAM)
    seen(trouble, AUTH_FAILED)
    trouble.clear()
    assert trouble.diagnosis() is None


def test_the_passwords_are_masked_in_any_kafka_record() -> None:
    # kafka-python logs its configuration and the SASL PLAIN request, passwords and all, at DEBUG.
    trouble = BrokerTrouble("kafka:9093", {**SCRAM, "ssl_password": "k3y-Pa55"})
    debug = record("Request %d: %s", 3, b"\x00router\x00Sup3r-S3cret-Pa55", level=logging.DEBUG)
    assert trouble.filter(debug)
    assert "Sup3r" not in debug.getMessage() and "******" in debug.getMessage()
    config = record("Starting KafkaAdminClient with configuration: %s", {**SCRAM, "ssl_password": "k3y-Pa55"})
    assert trouble.filter(config)
    assert "Sup3r" not in config.getMessage() and "k3y-Pa55" not in config.getMessage()


def test_the_health_component_is_down_with_the_cause_before_the_bootstrap_gives_up() -> None:
    trouble = BrokerTrouble("kafka:9093", SCRAM)
    health = PumpHealth("group", "kafka:9093")
    health.trouble = trouble.diagnosis
    assert health.components()["kafka"]["status"] == "UNKNOWN"
    seen(trouble, AUTH_FAILED)
    kafka = health.components()["kafka"]
    assert kafka["status"] == "DOWN"
    assert kafka["details"]["cause"] == "authentication"  # type: ignore[index]
    assert str(kafka["details"]["error"]).startswith("Kafka at kafka:9093 refused the SASL credentials")  # type: ignore[index]
    health.broker_answered()
    assert health.components()["kafka"]["status"] == "UP"  # connected: an old cause is history


def test_install_watches_kafka_python_loggers_and_remove_stops() -> None:
    trouble = BrokerTrouble("kafka:9093", SCRAM)
    logger = logging.getLogger("kafka.net.connection")
    trouble.install()
    try:
        logger.error("%s: Connection lost: %s", "<conn>", AUTH_FAILED)
        assert trouble.diagnosis() is not None
    finally:
        trouble.remove()
    assert trouble not in logger.filters
    trouble.clear()
    logger.error("%s: Connection lost: %s", "<conn>", AUTH_FAILED)
    assert trouble.diagnosis() is None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_repeats_are_let_through_once_per_window_with_a_count() -> None:
    clock = Clock()
    limiter = RepeatLimiter(window_s=30, clock=clock)
    lines = [
        record("<KafkaSSLTransport [127.0.0.1:9093<-%d]>: socket disconnected", port) for port in range(5000, 5010)
    ]
    assert [limiter.filter(line) for line in lines] == [True] + [False] * 9
    clock.now = 31
    late = record("<KafkaSSLTransport [127.0.0.1:9093<-%d]>: socket disconnected", 6000)
    assert limiter.filter(late)
    assert (
        late.getMessage()
        == "<KafkaSSLTransport [127.0.0.1:9093<-6000]>: socket disconnected [9 more like this in the last 30s]"
    )


def test_distinct_lines_and_info_lines_are_not_held_back() -> None:
    limiter = RepeatLimiter(window_s=30, clock=Clock())
    assert limiter.filter(record("Connection lost: %s", KafkaConnectionError("socket disconnected")))
    assert limiter.filter(record("Connection lost: %s", AUTH_FAILED))
    assert all(limiter.filter(record("Connected", level=logging.INFO)) for _ in range(3))


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, list[bytes]]]:
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []
    yield server, received
    server.close()


def serve_once(server: socket.socket, answer: bytes | None) -> threading.Thread:
    def run() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(4096)
            if answer is not None:
                conn.sendall(answer)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_the_plaintext_probe_recognises_an_api_versions_answer(listener: tuple[socket.socket, list[bytes]]) -> None:
    server, _ = listener
    port = server.getsockname()[1]
    serve_once(server, struct.pack(">ii", 20, 0x5052) + bytes(20)).join(0)
    assert speaks_plaintext_kafka("127.0.0.1", port, timeout_s=2)
    serve_once(server, None)  # a TLS listener hangs up on a plaintext request
    assert not speaks_plaintext_kafka("127.0.0.1", port, timeout_s=2)
    serve_once(server, None)  # and a plaintext listener hangs up on a ClientHello
    assert not speaks_tls("127.0.0.1", port, timeout_s=2)
