"""A single-node Apache Kafka (KRaft, broker+controller) on loopback, from Maven Central jars: no tarball, no Docker.

Used by `make kafka-up` / `make kafka-down`, by the pytest fixture in tests/conftest.py and by bench/.

    python scripts/local_kafka.py up        # start in the background, print the bootstrap address once ready
    python scripts/local_kafka.py down      # stop it; no Java process is left behind
    python scripts/local_kafka.py status    # running or not, and where
    python scripts/local_kafka.py fetch     # resolve the jars only (kafka-broker/pom.xml pins the version)

Environment: KAFKA_PORT (default 9092, or a free port when 9092 is taken), KAFKA_STATE_DIR (default .kafka/),
KAFKA_HEAP_OPTS (default -Xms256m -Xmx512m: the broker shares 2 cores and 24 GiB with the app and the tests),
KAFKA_SASL_SSL=1 (add a SASL_SSL listener: SCRAM users made at format time, a throwaway CA under <state dir>/tls/).
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POM = ROOT / "kafka-broker" / "pom.xml"
LIBS = ROOT / "kafka-broker" / "libs"
LOG4J_CONFIG = ROOT / "kafka-broker" / "log4j2.properties"
DEFAULT_STATE_DIR = ROOT / ".kafka"
DEFAULT_HEAP = "-Xms256m -Xmx512m"
READY_LINE = "Kafka Server started"
# Throwaway credentials for the local secured listener; never use them anywhere else.
DEFAULT_SCRAM_USERS = {"router": "router-secret"}
TLS_PASSWORD = "local-only"


class BrokerError(RuntimeError):
    """The broker could not be provisioned, started or stopped; the message says why and what to do."""


def kafka_version() -> str:
    """The Kafka version pinned in kafka-broker/pom.xml (the one place it is set)."""
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    if not match:
        raise BrokerError(f"{POM} has no <kafka.version> property: restore it from git.")
    return match.group(1)


def java_major(needed_by: str = "to run the Kafka broker") -> int:
    """The major version of the `java` on PATH; BrokerError saying what needs it when there is none."""
    java = shutil.which("java")
    if java is None:
        raise BrokerError(
            f"Java 17 or newer is needed {needed_by} and was not found on PATH: "
            "install it (Debian: apt-get install openjdk-17-jdk-headless)."
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        raise BrokerError(f"Could not read the Java version from `java -version` ({out.strip()!r}): install Java 17.")
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major


def fetch_jars() -> Path:
    """Resolve the broker, kafka-tools and a logging backend into kafka-broker/libs/ with Maven, once per pom change."""
    major = java_major()
    if major < 17:
        raise BrokerError(
            f"Java {major} was found but Kafka {kafka_version()} needs Java 17 or newer: "
            "install it (Debian: apt-get install openjdk-17-jre-headless) and put it first on PATH."
        )
    stamp = LIBS / ".resolved-from"
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return LIBS
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError(
            "Maven is needed once to fetch the Kafka jars from Maven Central and was not found on PATH: "
            "install it (Debian: apt-get install maven)."
        )
    if LIBS.exists():
        shutil.rmtree(LIBS)
    result = subprocess.run(
        [mvn, "-B", "-q", "-f", str(POM), "dependency:copy-dependencies"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        errors = [line for line in (result.stdout + result.stderr).splitlines() if "ERROR" in line]
        reason = errors[0].strip() if errors else (result.stdout + result.stderr).strip()[-300:]
        raise BrokerError(
            f"Maven could not resolve Apache Kafka {kafka_version()} from Maven Central ({reason}): "
            "check that Maven Central is reachable and any mirror in ~/.m2/settings.xml, then run `make kafka-jars`."
        )
    stamp.write_text(digest)
    return LIBS


def new_cluster_id() -> str:
    """A random KRaft cluster id: 16 bytes in URL-safe base64, like Kafka's own `random-uuid`.

    Like Kafka's Uuid.randomUuid(), it never starts with '-': the storage tool's argument parser would read
    such an id as an option (one run in 64 failed that way before this).
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGKILL the broker when the process that started it dies.

    This is what keeps a test run that is killed (or a Ctrl-C that skips teardown) from leaving a JVM behind.
    """
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


@dataclass
class LocalKafka:
    """One broker+controller process with its own state directory.

    `start()` formats KRaft storage on first use, starts the JVM and returns once the broker accepts a
    produce and a consume; `stop()` ends it (SIGTERM, then SIGKILL after a grace period). Restarting the
    same instance keeps its data and ports, which is what the broker-restart tests need.
    """

    state_dir: Path = DEFAULT_STATE_DIR
    port: int = 9092
    controller_port: int = 0
    heap_opts: str = field(default_factory=lambda: os.environ.get("KAFKA_HEAP_OPTS", DEFAULT_HEAP))
    die_with_parent: bool = False
    extra_properties: dict[str, str] = field(default_factory=dict)
    # A SASL_SSL listener beside the plaintext one (0: none). Users are created at storage format time.
    sasl_ssl_port: int = 0
    scram_users: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SCRAM_USERS))
    process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def sasl_ssl_bootstrap(self) -> str:
        return f"127.0.0.1:{self.sasl_ssl_port}"

    @property
    def tls_dir(self) -> Path:
        return self.state_dir / "tls"

    @property
    def ca_file(self) -> Path:
        """The PEM certificate of the throwaway CA that signed the broker's certificate."""
        return self.tls_dir / "ca.pem"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "broker.log"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "broker.pid"

    def server_properties(self) -> dict[str, str]:
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.state_dir / "data"),
            # One node: every internal topic has one replica, and one partition is plenty on loopback.
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # Topics are created by the apps (as Spring Cloud Stream's binder does), never by a stray fetch.
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
            # Two cores are shared with the app and the tests: fewer threads than the defaults.
            "num.network.threads": "2",
            "num.io.threads": "2",
            "background.threads": "2",
            "num.recovery.threads.per.data.dir": "1",
        }
        if self.sasl_ssl_port:
            props.update(self._sasl_ssl_properties())
        props.update(self.extra_properties)
        return props

    def _sasl_ssl_properties(self) -> dict[str, str]:
        scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        plain_users = " ".join(f'user_{u}="{p}"' for u, p in self.scram_users.items())
        plain = f"org.apache.kafka.common.security.plain.PlainLoginModule required {plain_users};"
        return {
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port},"
            f"SASL_SSL://127.0.0.1:{self.sasl_ssl_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port},SASL_SSL://127.0.0.1:{self.sasl_ssl_port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL",
            "sasl.enabled.mechanisms": "SCRAM-SHA-512,SCRAM-SHA-256,PLAIN",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": scram,
            "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config": scram,
            "listener.name.sasl_ssl.plain.sasl.jaas.config": plain,
            "ssl.keystore.type": "PKCS12",
            "ssl.keystore.location": str(self.tls_dir / "broker.p12"),
            "ssl.keystore.password": TLS_PASSWORD,
            "ssl.key.password": TLS_PASSWORD,
            "ssl.client.auth": "requested",
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.ca_file),
        }

    def _make_tls_material(self) -> None:
        """A throwaway CA, a broker certificate for 127.0.0.1/localhost, and a client certificate (mutual TLS)."""
        if (self.tls_dir / "broker.p12").exists():
            return
        if shutil.which("openssl") is None:
            raise BrokerError(
                "openssl is needed to make the throwaway certificates of the SASL_SSL listener and was not found: "
                "install it (Debian: apt-get install openssl)."
            )
        self.tls_dir.mkdir(parents=True, exist_ok=True)
        san = self.tls_dir / "san.ext"
        san.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        steps = [
            [
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=python-router local test CA",
                "-days",
                "30",
            ],
            [
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "broker.key",
                "-out",
                "broker.csr",
                "-subj",
                "/CN=localhost",
            ],
            [
                "x509",
                "-req",
                "-in",
                "broker.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "broker.pem",
                "-days",
                "30",
                "-extfile",
                "san.ext",
            ],
            [
                "pkcs12",
                "-export",
                "-in",
                "broker.pem",
                "-inkey",
                "broker.key",
                "-certfile",
                "ca.pem",
                "-out",
                "broker.p12",
                "-passout",
                f"pass:{TLS_PASSWORD}",
            ],
            [
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "client.key",
                "-out",
                "client.csr",
                "-subj",
                "/CN=python-router",
            ],
            [
                "x509",
                "-req",
                "-in",
                "client.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "client.pem",
                "-days",
                "30",
            ],
        ]
        for step in steps:
            result = subprocess.run(["openssl", *step], cwd=self.tls_dir, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise BrokerError(f"openssl {' '.join(step[:2])} failed making the test certificates: {result.stderr}")

    def _write_config(self) -> Path:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        config = self.state_dir / "server.properties"
        config.write_text("".join(f"{k}={v}\n" for k, v in self.server_properties().items()))
        return config

    def _java(self, main: str, *args: str) -> list[str]:
        return [
            "java",
            *self.heap_opts.split(),
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            "-cp",
            f"{LIBS}/*",
            main,
            *args,
        ]

    def _format_storage(self, config: Path) -> None:
        if (self.state_dir / "data" / "meta.properties").exists():
            return
        cluster_id = new_cluster_id()
        scram: list[str] = []
        if self.sasl_ssl_port:
            for mechanism in ("SCRAM-SHA-512", "SCRAM-SHA-256"):
                for user, password in self.scram_users.items():
                    scram += ["--add-scram", f"{mechanism}=[name={user},password={password}]"]
        result = subprocess.run(
            self._java("kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c", str(config), *scram),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).splitlines()
            reason = "\n".join(line for line in output if not line.lstrip().startswith(("at ", "...")))
            raise BrokerError(f"Formatting KRaft storage in {self.state_dir / 'data'} failed:\n{reason[-1500:]}")

    def start(self, timeout: float = 90.0) -> None:
        """Start the broker and return once it accepts a produce and a consume; raise BrokerError otherwise."""
        fetch_jars()
        if not self.controller_port:
            self.controller_port = free_port()
        if self.sasl_ssl_port:
            self._make_tls_material()
        config = self._write_config()
        self._format_storage(config)
        log = self.log_file.open("ab")
        log_offset = log.tell()
        self.process = subprocess.Popen(
            self._java("kafka.Kafka", str(config)),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if self.die_with_parent else None,
        )
        log.close()
        self.pid_file.write_text(str(self.process.pid))
        try:
            self._wait_ready(log_offset, timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, log_offset: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise BrokerError(
                    f"The Kafka broker exited with code {self.process.returncode} while starting. "
                    f"Its last log lines ({self.log_file}):\n{self.tail()}"
                )
            with self.log_file.open("rb") as log:
                log.seek(log_offset)
                if READY_LINE.encode() in log.read():
                    break
            if time.monotonic() > deadline:
                raise BrokerError(
                    f"The Kafka broker did not start within {timeout:.0f}s. Its last log lines:\n{self.tail()}"
                )
            time.sleep(0.2)
        remaining = max(5.0, deadline - time.monotonic())
        try:
            round_trip(self.bootstrap, timeout=remaining)
        except Exception as exc:
            raise BrokerError(
                f"The Kafka broker at {self.bootstrap} started but did not accept a produce and a consume "
                f"({exc}). Its last log lines:\n{self.tail()}"
            ) from exc

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM (a controlled shutdown), then SIGKILL after `grace` seconds; idempotent."""
        pid = self.process.pid if self.process else _read_pid(self.pid_file)
        if pid is not None and _is_our_broker(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            if not _wait_gone(pid, self.process, grace):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, self.process, 10.0)
        self.process = None
        self.pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL, as a crash would: for the tests of what survives one."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
        self.pid_file.unlink(missing_ok=True)

    def tail(self, lines: int = 30) -> str:
        if not self.log_file.exists():
            return "(no log written)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


def round_trip(bootstrap: str, timeout: float = 30.0) -> None:
    """Create a probe topic, produce one record and consume it back: the broker really works."""
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
    from kafka.errors import TopicAlreadyExistsError

    topic = "__python_router_ready"
    deadline = time.monotonic() + timeout
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics({topic: {"num_partitions": 1, "replication_factor": 1}}, wait_for_metadata=True)
    finally:
        admin.close()
    marker = uuid.uuid4().bytes
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        producer.send(topic, marker).get(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        producer.close()
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    try:
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                if any(r.value == marker for r in records):
                    return
        raise TimeoutError(f"the probe record did not come back from {topic} within {timeout:.0f}s")
    finally:
        consumer.close()


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _is_our_broker(pid: int) -> bool:
    """True when `pid` is a live Kafka JVM (a stale pid file may name a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"kafka.Kafka" in cmdline


def _wait_gone(pid: int, process: subprocess.Popen[bytes] | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None:
            if process.poll() is not None:
                return True
        elif not _is_our_broker(pid):
            return True
        time.sleep(0.1)
    return False


def _from_environment() -> LocalKafka:
    state_dir = Path(os.environ.get("KAFKA_STATE_DIR", DEFAULT_STATE_DIR))
    port, controller_port, sasl_ssl_port = _saved_ports(state_dir)
    broker = LocalKafka(state_dir=state_dir, port=port, controller_port=controller_port, sasl_ssl_port=sasl_ssl_port)
    if os.environ.get("KAFKA_SASL_SSL", "") not in ("", "0") and not broker.sasl_ssl_port:
        broker.sasl_ssl_port = free_port()
    return broker


def _saved_ports(state_dir: Path) -> tuple[int, int, int]:
    """The ports of the last `up` in this state dir (the formatted storage remembers its controller)."""
    with contextlib.suppress(OSError, ValueError):
        port, controller_port, sasl_ssl_port = (state_dir / "broker.ports").read_text().split()
        return int(port), int(controller_port), int(sasl_ssl_port)
    return 9092, 0, 0


@contextlib.contextmanager
def _exit_on_error() -> Iterator[None]:
    try:
        yield
    except BrokerError as exc:
        print(f"kafka: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    broker = _from_environment()
    with _exit_on_error():
        if command == "fetch":
            print(f"kafka: Apache Kafka {kafka_version()} jars in {fetch_jars()}")
        elif command == "up":
            pid = _read_pid(broker.pid_file)
            if pid is not None and _is_our_broker(pid):
                print(f"kafka: already running (pid {pid}) at {broker.bootstrap}")
                return 0
            requested = os.environ.get("KAFKA_PORT")
            if requested:
                broker.port = int(requested)
                if not port_is_free(broker.port):
                    raise BrokerError(f"KAFKA_PORT={requested} is taken by another process: choose another port.")
            elif not port_is_free(broker.port):
                broker.port = free_port()
            if broker.controller_port and not port_is_free(broker.controller_port):
                broker.controller_port = free_port()
            started = time.monotonic()
            broker.start()
            (broker.state_dir / "broker.ports").write_text(
                f"{broker.port} {broker.controller_port} {broker.sasl_ssl_port}"
            )
            print(
                f"kafka: Apache Kafka {kafka_version()} ready at {broker.bootstrap} "
                f"in {time.monotonic() - started:.1f}s (pid {_read_pid(broker.pid_file)}, log {broker.log_file})"
            )
            if broker.sasl_ssl_port:
                users = ", ".join(f"{u}/{p}" for u, p in broker.scram_users.items())
                print(
                    f"kafka: SASL_SSL (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN) at {broker.sasl_ssl_bootstrap}; "
                    f"throwaway users {users}; CA certificate {broker.ca_file}"
                )
        elif command == "down":
            pid = _read_pid(broker.pid_file)
            broker.stop()
            print(f"kafka: stopped (pid {pid})" if pid else "kafka: not running")
        elif command == "status":
            pid = _read_pid(broker.pid_file)
            if pid is not None and _is_our_broker(pid):
                print(f"kafka: running (pid {pid}) at {broker.bootstrap}")
            else:
                print("kafka: not running")
                return 3
        else:
            print(f"kafka: unknown command {command!r}: use up, down, status or fetch", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
