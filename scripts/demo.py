"""The recipe's pipeline on a local broker: time || python-router || evenLogger: log || oddLogger: log.

`make demo` runs it until Ctrl-C; tests/e2e drives the same `Pipeline` and reads what the loggers print.
python-router gets exactly what SCDF would hand it for connect-config/polyglot-python-app-deployment.properties,
in the entry-point style asked for (exec: arguments, shell: environment variables, boot: SPRING_APPLICATION_JSON).
SCDF's real time-source-kafka and log-sink-kafka jars are used when Maven can fetch them; otherwise the Python
stand-ins in scripts/scdf_standins.py, and the demo says so.
"""

from __future__ import annotations

import contextlib
import os
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

DEPLOYMENT = ROOT / "connect-config" / "polyglot-python-app-deployment.properties"
APPS_DIR = ROOT / ".apps"
SCDF_APPS_VERSION = "5.0.1"  # Spring Boot 3, Java 17
SCDF_APPS = {"time": "time-source-kafka", "log": "log-sink-kafka"}
STANDINS = ROOT / "scripts" / "scdf_standins.py"
ROUTER = ROOT / ".venv" / "bin" / "python-router"


def fetch_scdf_apps() -> tuple[dict[str, Path] | None, str]:
    """SCDF's real app jars from Maven Central, or None and the reason they could not be had."""
    if shutil.which("mvn") is None:
        return None, "Maven is not on PATH"
    APPS_DIR.mkdir(exist_ok=True)
    jars: dict[str, Path] = {}
    for kind, artifact in SCDF_APPS.items():
        jar = APPS_DIR / f"{artifact}-{SCDF_APPS_VERSION}.jar"
        if not jar.exists():
            coordinates = f"org.springframework.cloud.stream.app:{artifact}:{SCDF_APPS_VERSION}:jar"
            result = subprocess.run(
                ["mvn", "-B", "-q", "dependency:copy", f"-Dartifact={coordinates}", f"-DoutputDirectory={APPS_DIR}"],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0 or not jar.exists():
                return None, f"Maven could not fetch {coordinates} from Maven Central"
        jars[kind] = jar
    return jars, ""


@dataclass
class Pipeline:
    """The four apps of the recipe's stream on `broker`, each one's output tagged and kept."""

    broker: LocalKafka
    style: EntryPointStyle = "exec"
    echo: Callable[[str], None] | None = None
    apps: tuple[dict[str, Path] | None, str] | None = None  # fetch_scdf_apps()'s answer, if already asked
    router_port: int = field(default_factory=free_port)
    lines: dict[str, list[str]] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[str]] = field(default_factory=dict)
    readers: list[threading.Thread] = field(default_factory=list)
    apps_note: str = ""

    def start(self) -> None:
        deployment = DEPLOYMENT.read_text()
        brokers = {"spring.cloud.stream.kafka.binder.brokers": self.broker.bootstrap}
        jars, reason = self.apps if self.apps is not None else fetch_scdf_apps()
        if jars:
            self.apps_note = f"using SCDF's time-source-kafka and log-sink-kafka {SCDF_APPS_VERSION} jars"
        else:
            self.apps_note = f"using the Python stand-ins for SCDF's time source and log sink ({reason})"
        self._say(f"[demo] {self.apps_note}")

        # What SCDF's deployer would hand python-router: the deployment properties in the entry-point style,
        # the brokers in the platform's environment, and (local deployer) a random server.port.
        router_props = dict(deployment_properties_for("python-router", deployment).app)
        if self.style != "local":
            router_props["server.port"] = str(self.router_port)
        launch = scdf_launch(
            self.style,
            router_props,
            stream_name="timeStampStream",
            app_label="python-router",
            platform_environ={"SPRING_CLOUD_STREAM_KAFKA_BINDER_BROKERS": self.broker.bootstrap},
            server_port=self.router_port,
        )
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("SPRING_", "SERVER_"))}
        environ.update(launch.environ, PYTHONUNBUFFERED="1")
        self._spawn("python-router", [str(ROUTER), *launch.argv], environ)
        for label in ("evenLogger", "oddLogger"):
            props = {**deployment_properties_for(label, deployment).app, **brokers, "log.name": label}
            self._spawn(label, self._app_command(jars, "log", props), None)
        time_props = {**deployment_properties_for("time", deployment).app, **brokers}
        self._spawn("time", self._app_command(jars, "time", time_props), None)

    def _app_command(self, jars: dict[str, Path] | None, kind: str, props: dict[str, str]) -> list[str]:
        args = [f"--{k}={v}" for k, v in props.items()]
        if jars:
            extra = ["--server.port=0"]
            if kind == "log":
                extra.append(f"--log.consumer.name={props['log.name']}")
            return ["java", "-Xmx256m", "-jar", str(jars[kind]), *args, *extra]
        return [sys.executable, str(STANDINS), kind, *args]

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
        self.readers.append(reader)

    def _pump_output(self, name: str, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines[name].append(line.rstrip("\n"))
            self._say(f"[{name}] {line.rstrip()}")

    def _say(self, line: str) -> None:
        if self.echo is not None:
            self.echo(line)

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM every app (the source first), then SIGKILL what is still there after `grace` seconds."""
        for name in ("time", "python-router", "evenLogger", "oddLogger"):
            process = self.processes.get(name)
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for reader in self.readers:
            reader.join(timeout=5)
        for process in self.processes.values():
            if process.stdout is not None:
                process.stdout.close()


@contextlib.contextmanager
def running_pipeline(broker: LocalKafka, **options: object) -> Iterator[Pipeline]:
    pipeline = Pipeline(broker, **options)  # type: ignore[arg-type]
    try:
        pipeline.start()
        yield pipeline
    finally:
        pipeline.stop()


def main() -> int:
    started = time.monotonic()
    first_routed: list[float] = []

    def echo(line: str) -> None:
        if not first_routed and "timestamp:" in line and line.startswith(("[evenLogger]", "[oddLogger]")):
            first_routed.append(time.monotonic() - started)
            print(f"[demo] first routed line {first_routed[0]:.1f}s after `make demo` started", flush=True)
        print(line, flush=True)

    state_dir = ROOT / ".kafka" / "demo"
    shutil.rmtree(state_dir, ignore_errors=True)  # a fresh broker each time: no group or topic of an old run
    broker = LocalKafka(state_dir=state_dir, port=free_port(), die_with_parent=True)
    print("[demo] starting Apache Kafka (KRaft, one node) on loopback ...", flush=True)
    apps: list[tuple[dict[str, Path] | None, str]] = []
    fetching = threading.Thread(target=lambda: apps.append(fetch_scdf_apps()), daemon=True)
    fetching.start()  # Maven asks for SCDF's jars while the broker starts
    broker.start()
    fetching.join()
    print(
        f"[demo] Kafka ready at {broker.bootstrap}; starting time || python-router || evenLogger || oddLogger",
        flush=True,
    )
    print("[demo] press Ctrl-C to stop everything", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with running_pipeline(broker, echo=echo, apps=apps[0]) as pipeline:
            print(
                f"[demo] python-router's actuator: http://127.0.0.1:{pipeline.router_port}/actuator/health", flush=True
            )
            while not stop.is_set():
                if any(p.poll() is not None for p in pipeline.processes.values()):
                    dead = [n for n, p in pipeline.processes.items() if p.poll() is not None]
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


if __name__ == "__main__":
    raise SystemExit(main())
