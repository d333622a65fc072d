"""The router variants under test, each started as its own process(es) so its CPU and memory can be read."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.process_cost import Cost, cost
from bench.workload import Topics
from pump.config import KAFKA_CLIENT
from scripts.local_kafka import free_port
from scripts.stream_apps import FUNCTION, StreamAppsError, jvm_command
from scripts.stream_apps import build as build_stream_apps

ROOT = Path(__file__).resolve().parent.parent
# The pump variants run on each Kafka client: kafka-python (the default) and librdkafka (`-librdkafka`).
ROUTERS = (
    "naive",
    "pump",
    "pump-eos",
    "pump-remote",
    "pump-librdkafka",
    "pump-eos-librdkafka",
    "pump-remote-librdkafka",
    "java-router",
)
PUMPS = ("pump", "pump-librdkafka")  # in-process classification, one per client
LIBRDKAFKA = "-librdkafka"
# The pump with router.delivery=exactly-once (one Kafka transaction per batch), beside the default pump.
EXACTLY_ONCE = "--router.delivery=exactly-once"
# The Java peer runs with the JVM's own JIT and GC choices (not the demo's start-up-lean options); its clock,
# like every router's, starts at the first routed record, so JVM start-up is not counted.
JAVA_ROUTER_OPTIONS = ("-Xmx256m", "-XX:+ExitOnOutOfMemoryError")
STOP_GRACE_S = 15.0


class RouterError(RuntimeError):
    """A router process could not be started or died while measured; the message quotes its log."""


def console_script() -> Path:
    """The `python-router` entry point installed beside the interpreter running the bench."""
    return Path(sys.executable).parent / "python-router"


def pump_missing() -> str | None:
    """Why the pump variants cannot run on this checkout, or None when they can."""
    if not console_script().exists():
        return f"{console_script()} is not installed: run `.venv/bin/pip install -e '.[dev,bench]'`"
    if importlib.util.find_spec("python_router.__main__") is None:
        return "python_router/__main__.py (the `python-router` entry point) does not exist yet"
    return None


@dataclass
class RouterProcess:
    """One variant's running process(es); the last one is the consume loop, the cost is that of all of them."""

    variant: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def cost(self) -> Cost:
        self.check_alive()
        return cost(self.pids)

    def check_alive(self) -> None:
        for process, log in zip(self.processes, self.logs, strict=True):
            if process.poll() is not None:
                raise RouterError(
                    f"The {self.variant} router ({_command_line(process)}) exited with code "
                    f"{process.returncode} while being measured. The end of {log}:\n{tail(log)}"
                )

    def stop(self) -> None:
        """SIGTERM (the pump drains and commits), SIGKILL after a grace period; the loop before its sidecar."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _command_line(process: subprocess.Popen[bytes]) -> str:
    args = process.args
    return " ".join(str(a) for a in args) if isinstance(args, list) else str(args)


def tail(log: Path, lines: int = 25) -> str:
    if not log.exists():
        return "(no output)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _spawn(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def router_arguments(bootstrap: str, topics: Topics, group: str, port: int) -> list[str]:
    """python-router's command line as SCDF's exec entry-point style would pass it."""
    return [
        f"--spring.cloud.stream.bindings.input.destination={topics.input}",
        f"--spring.cloud.stream.bindings.input.group={group}",
        f"--spring.cloud.stream.bindings.even.destination={topics.even}",
        f"--spring.cloud.stream.bindings.odd.destination={topics.odd}",
        f"--spring.cloud.stream.kafka.binder.brokers={bootstrap}",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
    ]


def wait_http_ok(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RouterError(f"{process.args!r} exited with code {process.returncode} while starting:\n{tail(log)}")
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(url, timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.1)
    raise RouterError(f"{url} did not answer 200 within {timeout:.0f}s. The end of {log}:\n{tail(log)}")


def on_client(variant: str) -> tuple[str, list[str]]:
    """A pump variant's kind (pump, pump-remote, ...) and the properties that select its Kafka client."""
    if variant.endswith(LIBRDKAFKA) and variant in ROUTERS:
        return variant.removesuffix(LIBRDKAFKA), [f"--{KAFKA_CLIENT}=librdkafka"]
    return variant, []


def start_router(
    variant: str,
    bootstrap: str,
    topics: Topics,
    group: str,
    log_dir: Path,
    *,
    properties: Sequence[str] = (),
) -> RouterProcess:
    """Start `variant` (one of ROUTERS) reading `topics.input` with a new consumer group.

    `properties` (`--key=value`) are added to the pump's command line: settings other than the defaults.
    """
    router = RouterProcess(variant)
    variant, client = on_client(variant)
    properties = [*client, *properties]
    if variant == "naive":
        command = [sys.executable, "-m", "bench.naive_router", "--bootstrap", bootstrap, "--input", topics.input]
        command += ["--even", topics.even, "--odd", topics.odd, "--group", group]
        _add(router, command, log_dir / f"{group}.log")
        return router
    if variant == "java-router":
        _add(router, java_router_command(bootstrap, topics, group), log_dir / f"{group}.log")
        return router
    missing = pump_missing()
    if missing is not None:
        raise RouterError(f"The {variant} variant needs python-router: {missing}.")
    script = str(console_script())
    if variant in ("pump", "pump-eos"):
        command = [script, *router_arguments(bootstrap, topics, group, free_port()), *properties]
        command += [EXACTLY_ONCE] if variant == "pump-eos" else []
        _add(router, command, log_dir / f"{group}.log")
        return router
    if variant == "pump-remote":
        port = free_port()
        sidecar_log = log_dir / f"{group}-sidecar.log"
        sidecar = _add(router, [script, *router_arguments(bootstrap, topics, group, port), "--router.mode=sidecar"],
                       sidecar_log)  # fmt: skip
        try:
            wait_http_ok(f"http://127.0.0.1:{port}/actuator/health", sidecar, sidecar_log)
        except BaseException:
            router.stop()
            raise
        pump = [script, *router_arguments(bootstrap, topics, group, free_port()), *properties]
        pump += ["--router.mode=pump", f"--router.url=http://127.0.0.1:{port}"]
        _add(router, pump, log_dir / f"{group}.log")
        return router
    raise ValueError(f"Unknown router variant {variant!r}: choose one of {', '.join(ROUTERS)}.")


def java_router_command(bootstrap: str, topics: Topics, group: str) -> list[str]:
    """stream-apps' `router` (Spring Cloud Stream, Kafka binder defaults) on the same topics and a new group."""
    try:
        build_stream_apps()
    except StreamAppsError as exc:
        raise RouterError(f"The java-router variant needs the Spring apps: {exc}") from None
    app = {
        FUNCTION: "router",
        "spring.cloud.stream.bindings.input.destination": topics.input,
        "spring.cloud.stream.bindings.input.group": group,
        "spring.cloud.stream.kafka.bindings.input.consumer.startOffset": "earliest",
        "router.destination-mappings.even": topics.even,
        "router.destination-mappings.odd": topics.odd,
        # Every record goes to a dynamic destination; naming the function's own output keeps the binder from
        # creating a topic called `output` for it.
        "spring.cloud.stream.bindings.output.destination": topics.even,
        "spring.cloud.stream.kafka.binder.brokers": bootstrap,
    }
    return jvm_command([app], JAVA_ROUTER_OPTIONS)


def _add(router: RouterProcess, command: list[str], log: Path) -> subprocess.Popen[bytes]:
    process = _spawn(command, log)
    router.processes.append(process)
    router.logs.append(log)
    return process
