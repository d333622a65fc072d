"""python-router as a real process against the session's secured broker: start, watch its actuator and log,
stop; and the properties of a SCRAM-over-TLS connection."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from scripts.local_kafka import LocalKafka

ROOT = Path(__file__).resolve().parents[2]
ROUTER = Path(sys.executable).parent / "python-router"
BINDER = "spring.cloud.stream.kafka.binder"
SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"


@dataclass
class Router:
    """One python-router process: its actuator, its log (stdout and stderr, one file), its exit."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, **kwargs)

    def kafka_health(self) -> dict[str, Any]:
        component: dict[str, Any] = self.get("/actuator/health").json()["components"]["kafka"]
        return component

    def wait_until(self, what: str, check: Callable[[], bool], timeout_s: float) -> None:
        """Poll `check` (HTTP errors count as not yet) until it holds; fail with the log tail otherwise."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                pytest.fail(f"{self.name} exited with {self.process.returncode} waiting for {what}:\n{self.tail()}")
            try:
                if check():
                    return
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        pytest.fail(f"{self.name}: no {what} within {timeout_s:.0f}s. Its log:\n{self.tail()}")

    def wait_ready(self, timeout_s: float = 60) -> None:
        self.wait_until(
            "readiness (joined its group)", lambda: self.get("/actuator/health/readiness").is_success, timeout_s
        )

    def stop(self, timeout_s: float = 30) -> int:
        """SIGTERM, as Kubernetes stops a pod; SIGKILL if it does not end in time."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"{self.name} did not stop within {timeout_s:.0f}s of SIGTERM:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.text().splitlines()[-lines:])


def clean_environ(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any Spring property a developer may have exported, plus `extra`."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SPRING_", "SERVER_", "ROUTER_"))}
    environ.update(extra)
    return environ


def launch(
    name: str, argv: Sequence[str], log: Path, environ: Mapping[str, str] | None = None, port: int = 0
) -> Router:
    """Start `python-router argv` from the project's folder, its output to `log`."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ROUTER), *argv],
            cwd=ROOT,
            env=clean_environ(environ or {}),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Router(name, process, port, log)


def stop_all(routers: Sequence[Router]) -> None:
    """SIGTERM to all at once (they stop in parallel), then wait; SIGKILL what outlives 30 s."""
    for router in routers:
        if router.alive():
            router.process.send_signal(signal.SIGTERM)
    for router in routers:
        try:
            router.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            router.process.kill()
            router.process.wait()


def jaas(user: str, password: str) -> str:
    return f'{SCRAM_MODULE} required username="{user}" password="{password}";'


def topics(prefix: str) -> dict[str, str]:
    """Fresh topic names for one app's bindings, so tests sharing the broker never see each other's records."""
    tag = uuid.uuid4().hex[:8]
    return {
        "spring.cloud.stream.bindings.input.destination": f"{prefix}-time-{tag}",
        "spring.cloud.stream.bindings.even.destination": f"{prefix}-even-{tag}",
        "spring.cloud.stream.bindings.odd.destination": f"{prefix}-odd-{tag}",
        "spring.cloud.stream.bindings.input.group": f"{prefix}-{tag}",
    }


def scram_over_tls(broker: LocalKafka, user: str, password: str, truststore: Path | None = None) -> dict[str, str]:
    """The properties of docs/security.md's "A secured cluster": SCRAM-SHA-512 over TLS, the CA as a PEM truststore,
    the broker's host name checked (Kafka's default)."""
    return {
        f"{BINDER}.brokers": f"SASL_SSL://{broker.sasl_ssl_bootstrap}",
        f"{BINDER}.configuration.security.protocol": "SASL_SSL",
        f"{BINDER}.configuration.sasl.mechanism": "SCRAM-SHA-512",
        f"{BINDER}.configuration.sasl.jaas.config": jaas(user, password),
        f"{BINDER}.configuration.ssl.truststore.location": str(truststore or broker.ca_file),
        f"{BINDER}.configuration.ssl.truststore.type": "PEM",
    }


def exec_style(properties: Mapping[str, str], port: int) -> list[str]:
    return [f"--{k}={v}" for k, v in {**properties, "server.port": str(port)}.items()]
