"""Session-wide fixtures: a real Apache Kafka broker for the tests marked `kafka`.

The broker is started once per test session on free loopback ports, from the jars that kafka-broker/pom.xml pins,
and stopped at the end, also after a failed test or Ctrl-C (and, should pytest itself be killed, Linux's
parent-death signal takes the JVM down with it). When it cannot start, every `kafka` test fails with the
broker's last log lines; none is skipped.

`make test` runs the tests in three pytest-xdist workers, a test file per worker at a time (`--dist loadfile`):
each worker has its own session brokers (free ports, its own tmp folders). A test marked `alone` asserts a
timing that a busy neighbour could spoil: while it runs, no test runs in another worker (see `_turn`).
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.local_kafka import DEFAULT_SCRAM_USERS, BrokerError, LocalKafka, fetch_jars, free_port
from scripts.stream_apps import StreamAppsError, build

# The secured broker's users: the scripts' throwaway one, and one whose password is distinctive enough to
# search every log line and HTTP answer for (tests/security).
SECURED_USERS = {**DEFAULT_SCRAM_USERS, "sentinel": "Sup3r-S3cret-Pa55"}
# router.kafka.client's values: every integration test of the pump and of security runs on each.
KAFKA_CLIENTS = ("kafka-python", "librdkafka")


# xdist hands out files in collection order: the files with `alone` tests first, then the longest first (a long
# file started last would finish last, alone). Only the order depends on this list; every file runs.
LONGEST_FIRST = (
    "tests/pump/test_pump_reliability.py",
    "tests/pump/test_static_membership_kafka.py",
    "tests/sidecar/test_sidecar_floods.py",
    "tests/pump/test_pump_kafka.py",
    "tests/pump/test_exactly_once_kafka.py",
    "tests/security/test_secured_pump.py",
    "tests/e2e/test_recipe_pipeline.py",
    "tests/security/test_secrets_never_shown.py",
)
# Tests that assert a timing and live in files others are changing right now: marked `alone` from here until
# their own file carries the marker. (Static membership: the next record routed within 10 s of a restart.)
ALONE_BY_NAME = (
    "test_after_sigkill_and_an_immediate_restart_the_next_record_is_routed_within_10s_with_static_membership",
)


@pytest.hookimpl(tryfirst=True)  # the order is set before xdist reads the collection
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    seen: set[str] = set()
    for item in items:
        # A test marked `kafka` always gets a broker, even if it forgot to ask for it.
        names = getattr(item, "fixturenames", [])
        if item.get_closest_marker("kafka") and "kafka_broker" not in names and "secured_kafka_broker" not in names:
            item.fixturenames.append("kafka_broker")  # type: ignore[attr-defined]
        if getattr(item, "originalname", None) in ALONE_BY_NAME and "static]" in item.name:
            item.add_marker(pytest.mark.alone)
        if item.nodeid in seen:
            _own_node_id(item)
        seen.add(item.nodeid)

    # The files with `alone` tests first, their `alone` tests at their start: the three workers begin with
    # them, one after another, while no other test runs yet; then the longest files, then the quick ones.
    longest = {path: n for n, path in enumerate(LONGEST_FIRST)}

    def order(item: pytest.Item) -> tuple[int, int]:
        path = item.nodeid.split("::", 1)[0]
        return (longest.get(path, len(longest)), 0 if item.get_closest_marker("alone") else 1)

    items.sort(key=order)  # stable: otherwise the order within a file is kept


def _own_node_id(item: pytest.Item) -> None:
    """Schemathesis gives each operation's test the same node id (its name holds the operation); xdist runs
    one test per id, so the others would be left out: each gets its name as its id."""
    own = f"{item.nodeid.split('::', 1)[0]}::{item.name}"
    if hasattr(item, "_id"):  # pytest 9.2: the id is structured
        from _pytest.nodeid import coerce_node_id

        item._id = coerce_node_id(own)
    else:
        item._nodeid = own


# --- running in parallel (pytest-xdist) ----------------------------------------------------------------------
# The controller makes a folder for the run's locks and hands it to each worker; without xdist there is one
# process and no lock is needed.
LOCKS = "python_router_locks"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    config = node.config
    if not hasattr(config, "_python_router_locks"):
        config._python_router_locks = tempfile.mkdtemp(prefix="python-router-test-locks-")
    node.workerinput[LOCKS] = config._python_router_locks


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "_python_router_locks"):
        shutil.rmtree(config._python_router_locks, ignore_errors=True)


def _lock_dir(config: pytest.Config) -> Path | None:
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    return Path(workerinput[LOCKS]) if LOCKS in workerinput else None


@contextlib.contextmanager
def _exclusive(config: pytest.Config, name: str) -> Iterator[None]:
    """One worker at a time (building a jar, resolving the Kafka jars)."""
    locks = _lock_dir(config)
    if locks is None:
        yield
        return
    with (locks / name).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def _turn(locks: Path, alone: bool) -> Iterator[None]:
    """A test's turn: shared with the other workers' tests, or, for an `alone` test, with none.

    A readers-writer lock over two files, with the writer first: an `alone` test takes the turnstile and keeps it,
    so no other test starts, then waits for the running ones to end. Any other test passes the turnstile (waiting
    while an `alone` one holds it) and runs holding `running` shared.
    """
    with (locks / "turnstile").open("a") as turnstile, (locks / "running").open("a") as running:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        if alone:
            fcntl.flock(running, fcntl.LOCK_EX)
        else:
            fcntl.flock(running, fcntl.LOCK_SH)
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        yield


_held: contextlib.ExitStack | None = None  # an `alone` turn kept for the `alone` test next in this worker


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    global _held
    locks = _lock_dir(item.config)
    if locks is None:
        yield
        return
    alone = item.get_closest_marker("alone") is not None
    if _held is None:
        _held = contextlib.ExitStack()
        _held.enter_context(_turn(locks, alone))
    try:
        yield
    finally:
        if not (alone and nextitem is not None and nextitem.get_closest_marker("alone") is not None):
            _held.close()
            _held = None


def _start(
    config: pytest.Config, state_dir: Path, sasl_ssl_port: int = 0, scram_users: dict[str, str] | None = None
) -> LocalKafka:
    broker = LocalKafka(
        state_dir=state_dir,
        port=free_port(),
        die_with_parent=True,
        sasl_ssl_port=sasl_ssl_port,
        scram_users=dict(scram_users or DEFAULT_SCRAM_USERS),
    )
    try:
        with _exclusive(config, "kafka-jars"):  # two workers would resolve them into one folder at once
            fetch_jars()
        broker.start()
    except BrokerError as exc:
        pytest.fail(f"Kafka could not start, so this test cannot run: {exc}", pytrace=False)
    return broker


@pytest.fixture(scope="session")
def kafka_broker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """The session's broker (one per xdist worker). Use `kafka_broker.bootstrap` ("127.0.0.1:<port>")."""
    broker = _start(request.config, tmp_path_factory.mktemp("kafka"))
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def secured_kafka_broker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalKafka]:
    """The session's broker with a SASL_SSL listener (SCRAM-SHA-512/256 and PLAIN over TLS) beside its
    plaintext one: `sasl_ssl_bootstrap`, `ca_file` (the throwaway CA), `tls_dir` (client.pem/client.key signed
    by that CA), `scram_users` (SECURED_USERS)."""
    broker = _start(
        request.config, tmp_path_factory.mktemp("kafka-sasl-ssl"), sasl_ssl_port=free_port(), scram_users=SECURED_USERS
    )
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(params=KAFKA_CLIENTS)
def kafka_client(request: pytest.FixtureRequest) -> str:
    """The pump's Kafka client (router.kafka.client): a test that takes it runs once on each."""
    client: str = request.param
    return client


@pytest.fixture(scope="session")
def stream_apps_jar(request: pytest.FixtureRequest) -> Path:
    """The jar of the project's Spring Cloud Stream apps (stream-apps/), built by Maven when its sources changed.
    Without Java 17 or Maven, or when Maven cannot build it, the test fails with the reason."""
    try:
        with _exclusive(request.config, "stream-apps"):  # one Maven build, the other workers wait for its jar
            return build()
    except StreamAppsError as exc:
        pytest.fail(f"The Spring apps could not be built, so this test cannot run: {exc}", pytrace=False)


@pytest.fixture
def bootstrap(kafka_broker: LocalKafka) -> str:
    return kafka_broker.bootstrap


@pytest.fixture
def private_broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], LocalKafka]]:
    """A factory for a broker of the test's own, for tests that stop or restart it."""
    started: list[LocalKafka] = []

    def start() -> LocalKafka:
        broker = _start(request.config, tmp_path / f"kafka-{len(started)}")
        started.append(broker)
        return broker

    try:
        yield start
    finally:
        for broker in started:
            broker.stop()
