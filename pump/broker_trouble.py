"""Why Kafka refused a connection (credentials, TLS certificate, protocol mismatch), read from kafka-python's
own log records, in plain words with what to do; and its repeated connection errors, one line per 30 s.

kafka-python 3.0.12 reports a failed bootstrap only as `KafkaTimeoutError: Unable to bootstrap`; the cause
is in the records its `kafka.net` loggers write on the way (the exception is among their arguments).
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from kafka.errors import InvalidReceiveError, SaslAuthenticationFailedError, UnsupportedSaslMechanismError

from spring_properties import MASK
from spring_properties.binder_names import BROKERS

# When Kafka refused us (credentials, certificate, protocol), re-creating the clients sooner cannot help:
# the pump waits this long between attempts instead of its usual backoff (a bound on the broker's load and
# on the log: about 7 connection attempts per 40 s, see docs/security.md).
REFUSED_RETRY_S: Final = 30.0
# kafka-python's repeated connection errors: each distinct line at most once per window.
REPEAT_WINDOW_S: Final = 30.0
_PROBE_TIMEOUT_S: Final = 3.0
# kafka.cluster's record when a topic a client uses is not in the metadata (kafka-python 3.0.12).
_TOPIC_NOT_FOUND: Final = "Topic %s not found in cluster metadata"

Cause = Literal[
    "authentication",
    "sasl-mechanism",
    "tls-certificate",
    "tls-hostname",
    "tls-refused",
    "tls-handshake",
    "tls-files",
    "protocol-mismatch",
    "unreachable",
]


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """What went wrong, in plain words with what to do (`reason`), and whether Kafka refused us (`refused`:
    a setting must change; retrying sooner cannot help) or is just not there."""

    cause: Cause
    reason: str
    refused: bool = True
    # When it was last seen (the watcher's clock): health counts it only if newer than the broker's last answer.
    seen_at: float = field(default=0.0, compare=False)


class BrokerTrouble(logging.Filter):
    """Watches kafka-python's log records for the cause of a failed connection; keeps the latest one.

    It is a logging.Filter on kafka-python's loggers (installed by `install()`) so that it sees every record
    before any rate limit drops it; it never drops one itself, but masks the SASL and key passwords in any
    (kafka-python logs its configuration, and PLAIN's auth bytes, at DEBUG).

    >>> trouble = BrokerTrouble("kafka:9093", {"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN"})
    >>> trouble.install()                                          # doctest: +SKIP
    >>> trouble.explain()   # after a failed bootstrap: a Diagnosis, or None when nothing is known
    """

    client_name = "kafka-python"  # the client whose records are read, for the messages

    def __init__(self, brokers: str, client: Mapping[str, Any], clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self.brokers = brokers
        self.protocol = str(client.get("security_protocol", "PLAINTEXT"))
        self.mechanism = client.get("sasl_mechanism")
        self.user = client.get("sasl_plain_username")
        self.cafile = client.get("ssl_cafile")
        # kafka-python logs its whole configuration at DEBUG, passwords included, and PLAIN's auth bytes.
        self._passwords = tuple(str(p) for p in (client.get("sasl_plain_password"), client.get("ssl_password")) if p)
        self._diagnosis: Diagnosis | None = None
        self._missing_topics: dict[str, float] = {}  # topic -> when kafka-python last found it missing
        self._hung_up = False  # something answered, then closed the connection without saying why
        self._lock = threading.Lock()  # each kafka-python client's IO thread runs the filter
        self._loggers: list[logging.Logger] = []

    # --- the filter, on kafka-python's IO thread ------------------------------------------------------

    def filter(self, record: logging.LogRecord) -> bool:
        if self._passwords:
            self._mask_passwords(record)
        if record.levelno < logging.WARNING:
            return True
        if record.msg == _TOPIC_NOT_FOUND and isinstance(record.args, tuple) and record.args:
            with self._lock:
                self._missing_topics[str(record.args[0])] = self._clock()
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        for arg in args:
            if isinstance(arg, BaseException):
                self._observe(arg, during_sasl=any(_lost_during_sasl(other) for other in args))
                break
        return True

    def _mask_passwords(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is logging's to report, not ours
            return
        if any(password in text for password in self._passwords):
            for password in self._passwords:
                text = text.replace(password, MASK)
            record.msg, record.args = text, ()

    def _observe(self, error: BaseException, during_sasl: bool = False) -> None:
        found = self.classify(error)
        if found is None:
            return
        with self._lock:
            self._remember(found, during_sasl)

    def _remember(self, found: Diagnosis | Literal["hung-up"], during_sasl: bool) -> None:
        if found == "hung-up":
            self._hung_up = True
            # The broker answered ApiVersions, then closed the connection in the middle of SASL: it refused
            # the credentials, but its answer was lost in the same read as its close (kafka-python 3.0.12,
            # mostly on a busy machine). A guess: it replaces "unreachable" (the broker is there now) but
            # never what a broker said.
            if during_sasl and (self._diagnosis is None or not self._diagnosis.refused):
                self._diagnosis = replace(self._closed_during_sasl(), seen_at=self._clock())
            return
        assert isinstance(found, Diagnosis)
        # An unconfirmed guess never replaces what the broker itself said.
        if found.cause == "tls-handshake" and self._diagnosis is not None and self._diagnosis.refused:
            return
        self._diagnosis = replace(found, seen_at=self._clock())

    def classify(self, error: BaseException) -> Diagnosis | Literal["hung-up"] | None:
        """The Diagnosis an exception from kafka-python's connection setup points to; "hung-up" when the peer
        closed the connection without a word (ambiguous: see explain()); None when it says nothing useful."""
        text = str(error)
        if isinstance(error, SaslAuthenticationFailedError):
            return self._refused_credentials(text.rsplit("Error: ", 1)[-1].strip())
        if isinstance(error, UnsupportedSaslMechanismError):
            offered = re.search(r"Enabled mechanisms: (.*)$", text)
            return self._mechanism_not_offered(offered.group(1) if offered else None)
        if isinstance(error, InvalidReceiveError) and _tls_record_header(text):
            return self._plaintext_to_tls()
        if "Handshake failed" in text:
            return self._tls_failure(text.split("Handshake failed:", 1)[-1].strip())
        if isinstance(error, ssl.SSLError | FileNotFoundError | PermissionError | IsADirectoryError):
            # Raised building the TLS context, before any byte is sent: a file or its password is wrong.
            return self._tls_files(text)
        if "ECONNREFUSED" in text or "Connection refused" in text:
            return self._nothing_listens()
        if "DNS Resolution failure" in text:
            return self._unresolved()
        if "socket disconnected" in text or "Connection reset" in text:
            return "hung-up"
        return None

    # --- the causes, in plain words with what to do (each client's classifier picks one) ---------------

    def _refused_credentials(self, said: str) -> Diagnosis:
        return Diagnosis(
            "authentication",
            f"Kafka at {self.brokers} refused the SASL credentials ({self.mechanism}, user {self.user}): check the "
            f"username and password in sasl.jaas.config, and that the user exists on the cluster for "
            f"{self.mechanism} (the broker said: {said})",
        )

    def _mechanism_not_offered(self, offered: str | None) -> Diagnosis:
        return Diagnosis(
            "sasl-mechanism",
            f"Kafka at {self.brokers} does not offer SASL mechanism {self.mechanism}"
            + (f" (it offers {offered})" if offered else "")
            + ": set sasl.mechanism to one it offers, with the matching login module in sasl.jaas.config",
        )

    def _tls_files(self, said: str) -> Diagnosis:
        return Diagnosis(
            "tls-files",
            f"The TLS files for Kafka at {self.brokers} could not be loaded ({said}): check that "
            "ssl.truststore.location and ssl.keystore.location name readable PEM files, and ssl.key.password (a "
            "wrong key password reads as 'PEM lib')",
        )

    def _nothing_listens(self) -> Diagnosis:
        return Diagnosis(
            "unreachable",
            f"Nothing listens at {self.brokers} (connection refused): check {BROKERS}, and that the broker is up",
            refused=False,
        )

    def _unresolved(self) -> Diagnosis:
        return Diagnosis(
            "unreachable",
            f"The host in {self.brokers} cannot be resolved (DNS): check {BROKERS}",
            refused=False,
        )

    def _tls_failure(self, said: str) -> Diagnosis:
        at = f"Kafka at {self.brokers}"
        verify_failed = "CERTIFICATE_VERIFY_FAILED" in said.upper().replace(" ", "_")
        if verify_failed and "mismatch" in said.lower():
            return Diagnosis(
                "tls-hostname",
                f"The TLS certificate of {at} does not name the host connected to ({said}): list the brokers in "
                f"{BROKERS} by a name the certificate holds, or set "
                "ssl.endpoint.identification.algorithm to empty to skip the host-name check (not recommended)",
            )
        if verify_failed:
            trusted = (
                f"the CA in ssl.truststore.location ({self.cafile})"
                if self.cafile
                else "a CA this system trusts (ssl.truststore.location is not set)"
            )
            problem = "has expired" if "expired" in said else f"is not signed by {trusted}"
            return Diagnosis(
                "tls-certificate",
                f"The TLS certificate of {at} {problem} ({said}): set ssl.truststore.location to the PEM file of "
                "the CA that signed the broker's certificate, with ssl.truststore.type=PEM",
            )
        if "ALERT" in said.upper() and "UNEXPECTED_EOF" not in said:
            return Diagnosis(
                "tls-refused",
                f"{at} refused the TLS handshake ({said}): if the broker requires client certificates "
                "(ssl.client.auth=required), set ssl.keystore.location to a PEM file with the client's key and "
                "certificate, signed by a CA the broker trusts, and ssl.keystore.type=PEM",
            )
        return Diagnosis(
            "tls-handshake",
            f"{at} closed the connection during the TLS handshake ({said}): if that listener does not speak TLS "
            f"(PLAINTEXT or SASL_PLAINTEXT), security.protocol={self.protocol} is wrong for it: use the broker's "
            "TLS listener, or set security.protocol to what the listener speaks",
        )

    def _closed_during_sasl(self) -> Diagnosis:
        return Diagnosis(
            "authentication",
            f"Kafka at {self.brokers} closed the connection during SASL authentication ({self.mechanism}, user "
            f"{self.user}) without a reason {self.client_name} could read: it most likely refused the credentials: "
            f"check the username and password in sasl.jaas.config, and that the user exists on the cluster for "
            f"{self.mechanism} (or, if that listener takes no SASL, set security.protocol={self.protocol[5:]})",
        )

    def _plaintext_to_tls(self) -> Diagnosis:
        secure = "SASL_SSL" if self.protocol == "SASL_PLAINTEXT" else "SASL_SSL (or SSL)"
        return Diagnosis(
            "protocol-mismatch",
            f"The listener at {self.brokers} speaks TLS (SSL or SASL_SSL) but security.protocol is {self.protocol}: "
            f"set security.protocol={secure} with ssl.truststore.location (and the SASL settings), or use the "
            "broker's plaintext listener",
        )

    # --- read by the pump and its health --------------------------------------------------------------

    def diagnosis(self) -> Diagnosis | None:
        """The latest cause seen since the last clear(); safe from any thread."""
        return self._diagnosis

    def explain(self) -> Diagnosis | None:
        """After a failed bootstrap: the cause, asking the listener itself when kafka-python's records leave
        it open (a peer that hung up without a word; a TLS handshake cut short). Blocks up to a few seconds."""
        found = self._diagnosis
        address = _first_address(self.brokers)
        if address is None:
            return found
        if found is None and self._hung_up and self.protocol in ("PLAINTEXT", "SASL_PLAINTEXT"):
            if speaks_tls(*address):
                self._diagnosis = replace(self._plaintext_to_tls(), seen_at=self._clock())
        elif found is not None and found.cause == "tls-handshake" and speaks_plaintext_kafka(*address):
            self._diagnosis = Diagnosis(
                "protocol-mismatch",
                f"The listener at {self.brokers} speaks plaintext Kafka (PLAINTEXT or SASL_PLAINTEXT) but "
                f"security.protocol is {self.protocol}: use the broker's TLS listener, or set security.protocol "
                "to PLAINTEXT or SASL_PLAINTEXT",
                seen_at=self._clock(),
            )
        return self._diagnosis

    def missing_topics(self, since: float) -> list[str]:
        """Topics kafka-python found missing from the cluster's metadata after `since` (a send to a topic
        deleted at run time: its producer retries, and says only this); safe from any thread."""
        with self._lock:
            return sorted(topic for topic, at in self._missing_topics.items() if at > since)

    def clear(self) -> None:
        """Forget what was seen: the clients are connected now."""
        with self._lock:
            self._diagnosis = None
            self._missing_topics.clear()
            self._hung_up = False

    # --- wiring ---------------------------------------------------------------------------------------

    def install(self) -> None:
        """Watch every kafka-python logger (and keep their repeated errors to one line per window)."""
        for logger in _kafka_loggers():
            logger.addFilter(self)
            self._loggers.append(logger)
            RepeatLimiter.attach(logger)

    def remove(self) -> None:
        for logger in self._loggers:
            logger.removeFilter(self)
        self._loggers.clear()


class RepeatLimiter(logging.Filter):
    """Lets each distinct line through at most once per `window_s`, then notes how many were held back.

    Lines are the same when they differ only in numbers (ports, backoffs, object ids). kafka-python retries
    a refused connection every few hundred milliseconds and logs three or four lines each time; this keeps
    the first of each, and one per window after that:

        ... Connection lost: KafkaConnectionError: socket disconnected [41 more like this in the last 30s]
    """

    _NUMBERS = re.compile(r"0x[0-9a-fA-F]+|\d+")
    _shared: RepeatLimiter | None = None
    _shared_lock = threading.Lock()

    def __init__(self, window_s: float = REPEAT_WINDOW_S, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}  # line -> (shown at, held back since)

    @classmethod
    def attach(cls, logger: logging.Logger) -> None:
        """Add the process's one limiter to `logger`, once."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            if cls._shared not in logger.filters:
                logger.addFilter(cls._shared)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        try:
            text = record.getMessage()
        except Exception:
            return True
        key = (record.name, record.levelno, self._NUMBERS.sub("#", text))
        now = self._clock()
        with self._lock:
            shown_at, held = self._seen.get(key, (None, 0))
            if shown_at is not None and now - shown_at < self.window_s:
                self._seen[key] = (shown_at, held + 1)
                return False
            if len(self._seen) > 1000:  # forget lines not seen for a window
                self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.window_s}
            self._seen[key] = (now, 0)
        if held:
            record.msg, record.args = f"{text} [{held} more like this in the last {self.window_s:.0f}s]", ()
        return True


def _kafka_loggers() -> list[logging.Logger]:
    loggers = [logging.getLogger("kafka")]
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.startswith("kafka.") and isinstance(logger, logging.Logger):
            loggers.append(logger)
    return loggers


def _lost_during_sasl(connection: object) -> bool:
    """Whether `connection` is a kafka-python connection with SASL on that closed before it was ready (the
    moment it logs "Connection lost") and after it had sent a second request: it sends its SaslHandshake only
    once the broker has answered its ApiVersions request, so it closed during SASL authentication.

    The request count is kafka-python 3.0.12's own (`parser._correlation_id`, 1 for the first request of a
    connection); tests/pump/test_broker_trouble.py pins it against a real KafkaConnection."""
    ready = getattr(connection, "init_future", None)
    sent = getattr(getattr(connection, "parser", None), "_correlation_id", 0)
    return (
        getattr(connection, "sasl_enabled", False) is True
        and type(sent) is int
        and sent >= 2
        and callable(getattr(ready, "failed", None))
        and ready.failed() is True  # type: ignore[union-attr]
    )


def _tls_record_header(text: str) -> bool:
    """True when kafka-python read a TLS record header as a frame length ("Invalid frame length: 352518912"
    is 0x15030300: a TLS alert, version 3.x): the listener speaks TLS."""
    match = re.search(r"Invalid frame length: (-?\d+)", text)
    if match is None:
        return False
    header = struct.pack(">i", int(match.group(1)))
    return 0x14 <= header[0] <= 0x17 and header[1] == 0x03


def _first_address(brokers: str) -> tuple[str, int] | None:
    first = brokers.split(",")[0].strip().split("://")[-1]
    host, _, port = first.rpartition(":")
    if not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def speaks_tls(host: str, port: int, timeout_s: float = _PROBE_TIMEOUT_S) -> bool:
    """True when the listener completes a TLS handshake (certificate not checked: this only asks what it
    speaks, and sends nothing else)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout_s) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return True
    except (OSError, ssl.SSLError):
        return False


def speaks_plaintext_kafka(host: str, port: int, timeout_s: float = _PROBE_TIMEOUT_S) -> bool:
    """True when the listener answers a plaintext ApiVersions request (v0: the one every broker accepts
    before authentication)."""
    client_id = b"python-router-probe"
    correlation_id = 0x5052  # "PR"
    header = struct.pack(">hhih", 18, 0, correlation_id, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            sock.sendall(struct.pack(">i", len(header)) + header)
            answer = b""
            while len(answer) < 8:
                chunk = sock.recv(8 - len(answer))
                if not chunk:
                    return False
                answer += chunk
    except OSError:
        return False
    size, answered_id = struct.unpack(">ii", answer)
    return bool(answered_id == correlation_id and 0 < size < 1 << 20)
