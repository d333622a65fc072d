"""Why Kafka refused a librdkafka client's connection, read from librdkafka's own error codes (its error_cb)
and its log (routed into Python logging through the clients' `logger`), named in the words broker_trouble uses
for kafka-python; and librdkafka's log kept free of passwords and of repeats.

librdkafka reports a refusal as an error event with a code (`_AUTHENTICATION`, `_SSL`, `_TRANSPORT`) and the
broker's or OpenSSL's words; a plaintext client on a TLS listener sees only a closed connection, logged at INFO
("Disconnected ... in state APIVERSION_QUERY"), which explain() settles by asking the listener itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, Final, Literal

from confluent_kafka import KafkaError

from .broker_trouble import BrokerTrouble, Diagnosis, RepeatLimiter

# The Python logger every librdkafka client of the pump logs through (`logger` in its configuration).
LOGGER: Final = "librdkafka"

_AFTER = re.compile(r"\s*\(after \d+ms in state [A-Z_]+\)\s*$")
_STATE = re.compile(r"in state ([A-Z_]+)\)")
# librdkafka's states of a connection still in its SASL exchange (rdkafka_broker.c).
_SASL_STATES = ("AUTH_HANDSHAKE", "AUTH_REQ", "AUTH_LEGACY")


class LibrdkafkaTrouble(BrokerTrouble):
    """BrokerTrouble for librdkafka: give `error_cb` and `logger` to every client's configuration
    (`client_config()` adds both), and install() it on the `librdkafka` logger. As a filter it lets only
    librdkafka's warnings and errors through, once it has read every line.

    >>> trouble = LibrdkafkaTrouble("kafka:9093", {"security.protocol": "SASL_SSL", "sasl.username": "router"})
    >>> trouble.install()                                                       # doctest: +SKIP
    >>> producer = confluent_kafka.Producer(trouble.client_config(settings))   # doctest: +SKIP
    >>> trouble.explain()  # after a failed bootstrap: a Diagnosis, or None when nothing is known
    """

    client_name = "librdkafka"

    def __init__(self, brokers: str, config: Mapping[str, Any]) -> None:
        super().__init__(
            brokers,
            {
                "security_protocol": str(config.get("security.protocol", "PLAINTEXT")).upper(),
                "sasl_mechanism": config.get("sasl.mechanism"),
                "sasl_plain_username": config.get("sasl.username"),
                "ssl_cafile": config.get("ssl.ca.location"),
                "sasl_plain_password": config.get("sasl.password"),
                "ssl_password": config.get("ssl.key.password"),
            },
        )
        extra = config.get("ssl.keystore.password")
        if extra:
            self._passwords = (*self._passwords, str(extra))
        self._logger = logging.getLogger(LOGGER)

    def client_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """`config` with this watcher as the client's error callback and logger."""
        return {**config, "error_cb": self.error_cb, "logger": self._logger}

    # --- librdkafka's callbacks -------------------------------------------------------------------------

    def error_cb(self, error: KafkaError) -> None:
        """librdkafka's error callback (served by the client's poll, consume or flush)."""
        self.observe(error.code(), error.str())

    def observe(self, code: int | None, text: str) -> None:
        """An error from librdkafka: its code when known (None when read from a log line) and its words."""
        found = self.classify_error(code, text)
        if found is None:
            return
        with self._lock:
            self._remember(found, during_sasl=_state(text) in _SASL_STATES)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._passwords:
            self._mask_passwords(record)
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is logging's to report, not ours
            return True
        # A connection closed by the peer is logged (at INFO), and is never an error event: errors come with
        # their codes through error_cb.
        if "Disconnected" in text:
            self.observe(None, text)
        # Read, then kept out of the log: librdkafka narrates every connection at INFO (the logger must let
        # INFO through for this filter to see the disconnections).
        return record.levelno >= logging.WARNING

    def classify_error(self, code: int | None, text: str) -> Diagnosis | Literal["hung-up"] | None:
        """The Diagnosis a librdkafka error points to; "hung-up" when the peer closed the connection without
        a word (see explain()); None when it says nothing useful."""
        said = _AFTER.sub("", text)
        if code == KafkaError._AUTHENTICATION or "SASL authentication error:" in said:
            said = said.split("SASL authentication error:", 1)[-1].strip()
            if "Unsupported SASL mechanism" in said:
                offered = re.search(r"enabled mechanisms? (?:are|is):? ?\[?([^\]]*)\]?", said, re.I)
                return self._mechanism_not_offered(offered.group(1) if offered else None)
            return self._refused_credentials(said)
        if "SSL handshake failed:" in said:
            # "connecting to a PLAINTEXT broker listener?" is librdkafka's guess: a cut handshake, which
            # explain() settles by asking the listener.
            return self._tls_failure(said.split("SSL handshake failed:", 1)[-1].strip())
        if code == KafkaError._INVALID_ARG and re.search(r"ssl\.[a-z.]+ failed", said):
            # A client librdkafka could not make: a TLS file, or its password, is wrong.
            return self._tls_files(said.split(": ", 1)[-1].strip())
        if "Connection refused" in said:
            return self._nothing_listens()
        if code == KafkaError._RESOLVE or "Failed to resolve" in said:
            return self._unresolved()
        if "Disconnected" in said and _state(text) not in (None, "UP"):  # closed before it was ready
            return "hung-up"
        return None

    def topic_missing(self, topic: str) -> None:
        """librdkafka could not deliver to `topic` because the cluster does not have it (deleted in use)."""
        with self._lock:
            self._missing_topics[topic] = self._clock()

    # --- wiring ---------------------------------------------------------------------------------------

    def install(self) -> None:
        """Watch the librdkafka logger (and keep its repeated errors to one line per window)."""
        self._logger.addFilter(self)
        self._loggers.append(self._logger)
        RepeatLimiter.attach(self._logger)


def _state(text: str) -> str | None:
    match = _STATE.search(text)
    return match.group(1) if match else None
