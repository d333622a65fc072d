"""Schemathesis fuzzes the real server from its own OpenAPI schema: no 5xx, and every answer as documented."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sidecar_testing import INFO, LOOPBACK, default_chain

from sidecar import SidecarServer, create_app

APP = create_app(default_chain(), info=INFO, settings=LOOPBACK)
SCHEMA = schemathesis.openapi.from_dict(APP.openapi())


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = SidecarServer(APP, LOOPBACK)
    server.start()
    yield server.url
    server.stop()


@SCHEMA.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_server_fail_or_break_its_schema(case: schemathesis.Case, base_url: str) -> None:
    case.call_and_validate(base_url=base_url)
