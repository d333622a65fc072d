"""The recipe's pipeline on a local broker: time || python-router || evenLogger: log || oddLogger: log.

`make demo` runs it until Ctrl-C; tests/e2e drives the same `Pipeline` and reads what the loggers log.
python-router gets exactly what SCDF would hand it for connect-config/polyglot-python-app-deployment.properties,
in the entry-point style asked for (exec: arguments, shell: environment variables, boot: SPRING_APPLICATION_JSON).
The time source and both log sinks are SCDF's prebuilt time-source-kafka and log-sink-kafka, one JVM each, when
Maven serves them (scripts/stream_apps.py asks, at most once a day); otherwise the project's Spring Cloud Stream
apps (stream-apps/, real Kafka binder) as three application contexts in one JVM. Either way each app gets the
recipe's properties for its label.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.local_kafka import LocalKafka, _die_with_parent, free_port  # noqa: E402
from scripts.scdf_deployer import EntryPointStyle, deployment_properties_for, scdf_launch  # noqa: E402
from scripts.stream_apps import (  # noqa: E402
    FUNCTION,
    SpringApps,
    StreamAppsError,
    build,
    choose_apps,
    jvm_command,
    prebuilt_command,
)

DEPLOYMENT = ROOT / "connect-config" / "polyglot-python-app-deployment.properties"
ROUTER = ROOT / ".venv" / "bin" / "python-router"
STREAM_NAME = "timeStampStream"
LOGGERS = ("evenLogger", "oddLogger")
SPRING = "time+loggers"  # the stream-apps JVM hosting the time source and both log sinks
# A log sink's line in Spring Boot's console format: "... <log.name> : <what it logged>".
LOGGED = re.compile(r"\s(" + "|".join(LOGGERS) + r")\s+: (.*)$")
STARTED = re.compile(r"\bStarted \S+ in [\d.]+ seconds")  # Spring Boot's line once an app's context is up


def spring_apps(bootstrap: str) -> list[dict[str, str]]:
    """The properties of the loggers and the time source, as SCDF would deploy them for the recipe's labels."""
    deployment = DEPLOYMENT.read_text()
    brokers = {"spring.cloud.stream.kafka.binder.brokers": bootstrap}
    # The loggers first: they listen from the latest offset, so they should be there before any output.
    apps = [{**deployment_properties_for(label, deployment).app, **brokers, FUNCTION: "log", "log.name": label}
            for label in LOGGERS]  # fmt: skip
    return [*apps, {**deployment_properties_for("time", deployment).app, **brokers, FUNCTION: "time"}]


@dataclass
class Pipeline:
    """The recipe's stream on `broker`: the Spring apps (time, evenLogger, oddLogger) and python-router."""

    broker: LocalKafka
    apps: SpringApps = field(default_factory=SpringApps)
    echo: Callable[[str], None] | None = None
    router_port: int = field(default_factory=free_port)
    lines: dict[str, list[str]] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[str]] = field(default_factory=dict)
    readers: dict[str, threading.Thread] = field(default_factory=dict)

    @property
    def spring(self) -> list[str]:
        """The names of the Spring processes: each prebuilt app by its label, or the one stream-apps JVM."""
        return [*LOGGERS, "time"] if self.apps.prebuilt else [SPRING]

    def start_spring_apps(self) -> None:
        apps = spring_apps(self.broker.bootstrap)
        if self.apps.prebuilt:
            for name, app in zip(self.spring, apps, strict=True):
                self._spawn(name, prebuilt_command(self.apps, app), None)
        else:
            self._spawn(SPRING, jvm_command(apps), None)

    def start_router(self, style: EntryPointStyle = "exec") -> None:
        """python-router as SCDF's deployer starts it: the deployment properties in the entry-point style,
        the brokers in the platform's environment, and (local deployer) a random server.port."""
        self.router_port = free_port()
        router_props = dict(deployment_properties_for("python-router", DEPLOYMENT.read_text()).app)
        if style != "local":
            router_props["server.port"] = str(self.router_port)
        launch = scdf_launch(
            style,
            router_props,
            stream_name=STREAM_NAME,
            app_label="python-router",
            platform_environ={"SPRING_CLOUD_STREAM_KAFKA_BINDER_BROKERS": self.broker.bootstrap},
            server_port=self.router_port,
        )
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("SPRING_", "SERVER_"))}
        environ.update(launch.environ, PYTHONUNBUFFERED="1")
        self._spawn("python-router", [str(ROUTER), *launch.argv], environ)

    def mark(self) -> dict[str, int]:
        """How many lines each Spring process has printed so far: `routed(since=...)` reads on from there."""
        return {name: len(self.lines[name]) for name in self.spring}

    def started(self) -> int:
        """How many Spring apps have started their context (three when all are up)."""
        return sum(bool(STARTED.search(line)) for name in self.spring for line in self.lines[name])

    def routed(self, since: dict[str, int] | None = None) -> list[tuple[str, str]]:
        """(logger, what it logged) for each line a log sink printed, after the `mark()` `since` (default: all)."""
        lines = [line for name in self.spring for line in self.lines[name][(since or {}).get(name, 0) :]]
        return [(m.group(1), m.group(2)) for line in lines if (m := LOGGED.search(line))]

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None) -> None:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=ROOT,
            # Their own session: Ctrl-C reaches the demo only, which stops each app with a single SIGTERM
            # (a second signal would make python-router exit at once, without draining).
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.processes[name] = process
        self.lines[name] = []
        reader = threading.Thread(target=self._pump_output, args=(name, process), daemon=True)
        reader.start()
        self.readers[name] = reader

    def _pump_output(self, name: str, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.rstrip("\n")
            self.lines[name].append(line)
            if self.echo is not None:
                logged = LOGGED.search(line) if name in self.spring else None
                self.echo(f"[{logged.group(1) if logged else name}] {line.rstrip()}")

    def stop(self, *names: str, grace: float = 20.0) -> None:
        """SIGTERM the named apps (default: all), then SIGKILL what is still there after `grace` seconds."""
        stopping = {n: p for n, p in self.processes.items() if n in names or not names}
        for process in stopping.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, process in stopping.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self.readers[name].join(timeout=5)  # it reads to the end of the output, then returns
            if process.stdout is not None:
                process.stdout.close()


@contextlib.contextmanager
def running_pipeline(
    broker: LocalKafka, echo: Callable[[str], None] | None = None, apps: SpringApps | None = None
) -> Iterator[Pipeline]:
    """A Pipeline whose Spring apps (`apps`, default: `choose_apps()`) are started; the caller starts
    python-router (`start_router`)."""
    pipeline = Pipeline(broker, apps=choose_apps() if apps is None else apps, echo=echo)
    try:
        pipeline.start_spring_apps()
        yield pipeline
    finally:
        pipeline.stop()


def main() -> int:
    started = time.monotonic()
    first_routed: list[float] = []

    def echo(line: str) -> None:
        if not first_routed and line.startswith(tuple(f"[{label}]" for label in LOGGERS)):
            first_routed.append(time.monotonic() - started)
            print(f"[demo] first routed line {first_routed[0]:.1f}s after `make demo` started", flush=True)
        print(line, flush=True)

    state_dir = ROOT / ".kafka" / "demo"
    shutil.rmtree(state_dir, ignore_errors=True)  # a fresh broker each time: no group or topic of an old run
    broker = LocalKafka(state_dir=state_dir, port=free_port(), die_with_parent=True)
    print("[demo] starting Apache Kafka (KRaft, one node) on loopback ...", flush=True)
    built: list[StreamAppsError | SpringApps] = []
    building = threading.Thread(target=lambda: built.append(_choose_or_error()), daemon=True)
    building.start()  # Maven fetches or checks (or builds) the Spring apps while the broker starts
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        broker.start()
        building.join()
        apps = built[0]
        if isinstance(apps, StreamAppsError):
            print(f"[demo] {apps}", flush=True)
            return 1
        print(f"[demo] Kafka ready at {broker.bootstrap}; starting {STREAM_NAME}:", flush=True)
        print("[demo]   time || python-router || evenLogger: log || oddLogger: log", flush=True)
        print(f"[demo] {apps.describe()}", flush=True)
        print("[demo] press Ctrl-C to stop everything", flush=True)
        with running_pipeline(broker, echo=echo, apps=apps) as pipeline:
            pipeline.start_router()
            print(
                f"[demo] python-router's actuator: http://127.0.0.1:{pipeline.router_port}/actuator/health", flush=True
            )
            while not stop.is_set():
                dead = [n for n, p in pipeline.processes.items() if p.poll() is not None]
                if dead:
                    print(f"[demo] {', '.join(dead)} stopped; stopping the rest", flush=True)
                    return 1
                stop.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        print("[demo] stopping the apps and the broker ...", flush=True)
        broker.stop()
        print("[demo] stopped; no process left behind", flush=True)
    return 0


def _choose_or_error() -> StreamAppsError | SpringApps:
    """SCDF's prebuilt apps when Maven serves them, else the stream-apps jar (built if need be) and why."""
    apps = choose_apps()
    try:
        if not apps.prebuilt:
            build()
    except StreamAppsError as exc:
        return exc
    return apps


if __name__ == "__main__":
    raise SystemExit(main())
