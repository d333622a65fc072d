"""Fixtures for the sidecar's tests: the default chain, and a real uvicorn server on a free loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sidecar_testing import INFO, LOOPBACK, default_chain

from sidecar import SidecarServer, SidecarSettings, create_app
from transforms import Chain


@pytest.fixture(scope="session")
def chain() -> Chain:
    return default_chain()


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
def default_server(chain: Chain) -> Iterator[tuple[SidecarServer, CollectorRegistry]]:
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
