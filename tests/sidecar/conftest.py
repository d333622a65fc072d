"""Fixtures for the sidecar's tests: the default chain, and a real uvicorn server on a free loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from sidecar import AppInfo, PumpProbe, RoutingChain, SidecarServer, SidecarSettings, create_app
from transforms import Chain, build_chain, parse_properties

ROOT = Path(__file__).resolve().parents[2]
BINDINGS = {"input": "timeDest", "even": "evenDest", "odd": "oddDest"}
INFO = AppInfo(
    stream_name="timeStream",
    app_label="python-router",
    bindings=BINDINGS,
    details={"kafka": {"brokers": "localhost:9092", "sasl.jaas.config": "user=u password=p"}},
)


def default_chain(overrides: Mapping[str, str] | None = None) -> Chain:
    """The chain the app runs by default (connect-config/router.properties), with `overrides` applied."""
    properties = parse_properties((ROOT / "connect-config" / "router.properties").read_text())
    properties.update(overrides or {})
    return build_chain(properties, bindings=BINDINGS)


@pytest.fixture(scope="session")
def chain() -> Chain:
    return default_chain()


@dataclass
class FakeProbe:
    """A consume loop's health, set by the test (see sidecar.PumpProbe)."""

    is_ready: bool = False
    idle_s: float | None = None
    components: dict[str, Mapping[str, object]] = field(
        default_factory=lambda: {"kafka": {"status": "UP", "details": {"brokers": "127.0.0.1:9092"}}}
    )
    broken: bool = False

    def health_components(self) -> Mapping[str, Mapping[str, object]]:
        if self.broken:
            raise RuntimeError("probe broke")
        return self.components

    def ready(self) -> bool:
        if self.broken:
            raise RuntimeError("probe broke")
        return self.is_ready

    def seconds_since_progress(self) -> float | None:
        if self.broken:
            raise RuntimeError("probe broke")
        return self.idle_s


def _probe_type_check(probe: FakeProbe) -> PumpProbe:
    return probe  # mypy: FakeProbe fits the Protocol the pump implements


LOOPBACK = SidecarSettings(host="127.0.0.1", port=0)


@pytest.fixture
def serve() -> Iterator[Callable[..., httpx.Client]]:
    """Start an app on a real uvicorn server on a free loopback port; get an httpx client for it."""
    started: list[tuple[SidecarServer, httpx.Client]] = []

    def start(app: FastAPI, settings: SidecarSettings = LOOPBACK) -> httpx.Client:
        server = SidecarServer(app, settings)
        server.start()
        client = httpx.Client(base_url=server.url, timeout=10)
        started.append((server, client))
        return client

    yield start
    for server, client in started:
        client.close()
        server.stop()


@pytest.fixture(scope="module")
def default_server(chain: RoutingChain) -> Iterator[tuple[SidecarServer, CollectorRegistry]]:
    """One server per module with the default chain and settings (exposure, limits) as shipped."""
    registry = CollectorRegistry()
    app = create_app(chain, info=INFO, settings=LOOPBACK, registry=registry)
    server = SidecarServer(app, LOOPBACK)
    server.start()
    yield server, registry
    server.stop()


@pytest.fixture
def client(default_server: tuple[SidecarServer, CollectorRegistry]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=default_server[0].url, timeout=10) as http:
        yield http
