"""The sidecar's settings: its properties, each spelled once here and read once, by Spring's conventions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from spring_properties import (
    Problems,
    PropertyReader,
    PropertySources,
    parse_data_size,
    parse_duration_at_least,
    parse_duration_s,
)

# Property names, spelled once, as a user writes them (`app.python-router.<name>=...` in SCDF).
SERVER_PORT: Final = "server.port"
SERVER_ADDRESS: Final = "server.address"
MAX_REQUEST_SIZE: Final = "server.max-request-size"
CONNECTION_TIMEOUT: Final = "server.connection-timeout"
MAX_CONNECTIONS: Final = "server.max-connections"
MAX_BATCH_RECORDS: Final = "router.route.batch.max-records"
LIVENESS_TIMEOUT: Final = "router.liveness.timeout"
ROUTE_ENABLED: Final = "router.route.enabled"
EXPOSURE_INCLUDE: Final = "management.endpoints.web.exposure.include"
EXPOSURE_EXCLUDE: Final = "management.endpoints.web.exposure.exclude"

# The actuator endpoints this app has, by Spring's endpoint ids; /openapi.json and /docs are exposed as
# springdoc's `openapi` and `swagger-ui` are when it serves them as actuator endpoints. `refresh` and
# `validate` are not exposed unless included, as Spring Boot exposes no endpoint that changes the app.
ENDPOINTS: Final = ("health", "info", "prometheus", "openapi", "swagger-ui", "refresh", "validate")
DEFAULT_EXPOSURE: Final = "health,info,prometheus,openapi,swagger-ui"

_MIN_LIVENESS_TIMEOUT_S: Final = 1.0
_MIN_REQUEST_SIZE: Final = 1024


@dataclass(frozen=True, slots=True)
class SidecarSettings:
    """How the sidecar serves. Read it from properties with `read` (or `from_properties`), or build it
    directly in tests:

    >>> sorted(SidecarSettings(port=0, host="127.0.0.1").exposed)
    ['health', 'info', 'openapi', 'prometheus', 'swagger-ui']
    """

    port: int = 8080
    host: str = "0.0.0.0"
    max_request_size: int = 1024 * 1024
    connection_timeout_s: float = 20.0
    max_connections: int = 1000
    max_batch_records: int = 5000
    liveness_timeout_s: float = 60.0
    route_enabled: bool = True
    exposed: frozenset[str] = frozenset(DEFAULT_EXPOSURE.split(","))

    @classmethod
    def read(cls, read: PropertyReader, defaults: SidecarSettings | None = None) -> SidecarSettings:
        """The properties above (unknown ones are ignored, as Spring does); each invalid value is added
        to the reader's problems, and its default stands in."""
        default = defaults or cls()
        include, exclude = read.sources.get(EXPOSURE_INCLUDE), read.sources.get(EXPOSURE_EXCLUDE)
        return cls(
            port=read.value(SERVER_PORT, _parse_port, default.port),
            host=read.value(SERVER_ADDRESS, _parse_address, default.host),
            max_request_size=read.value(MAX_REQUEST_SIZE, _parse_request_size, default.max_request_size),
            connection_timeout_s=read.value(CONNECTION_TIMEOUT, _connection_timeout, default.connection_timeout_s),
            max_connections=read.value(MAX_CONNECTIONS, _positive_int, default.max_connections),
            max_batch_records=read.value(MAX_BATCH_RECORDS, _positive_int, default.max_batch_records),
            liveness_timeout_s=read.value(LIVENESS_TIMEOUT, _parse_liveness_timeout, default.liveness_timeout_s),
            route_enabled=read.boolean(ROUTE_ENABLED, default.route_enabled),
            exposed=_endpoint_ids(include.value if include else DEFAULT_EXPOSURE)
            - _endpoint_ids(exclude.value if exclude else ""),
        )

    @classmethod
    def from_properties(cls, properties: Mapping[str, str]) -> SidecarSettings:
        """`read` from plain properties; raises SettingsError listing every invalid value."""
        problems = Problems()
        settings = cls.read(PropertyReader(PropertySources.of(properties), problems))
        problems.raise_if_any()
        return settings


# Parsers raise ValueError with the "what to do" half of the message.


def _parse_port(raw: str) -> int:
    if not raw.isdigit() or not 0 <= int(raw) <= 65535:
        raise ValueError("Value must be a TCP port number from 0 to 65535 (0 picks a free port).")
    return int(raw)


def _parse_address(raw: str) -> str:
    if not raw or any(c.isspace() for c in raw):
        raise ValueError("Value must be a host name or IP address to bind, e.g. 0.0.0.0, 127.0.0.1 or ::.")
    return raw


def _parse_request_size(raw: str) -> int:
    size = parse_data_size(raw)
    if size < _MIN_REQUEST_SIZE:
        raise ValueError(f"Value must be at least {_MIN_REQUEST_SIZE} bytes (1KB), or no request fits.")
    return size


def _parse_liveness_timeout(raw: str) -> float:
    why = "or the app would be restarted between two polls"
    return parse_duration_at_least(raw, _MIN_LIVENESS_TIMEOUT_S, why)


def _connection_timeout(raw: str) -> float:
    seconds = parse_duration_s(raw)
    if seconds < 0.1:
        raise ValueError("Value must be at least 100ms, or no client could send its request in time (default 20s).")
    return seconds


def _positive_int(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError("Value must be a whole number of at least 1.")
    return int(raw)


def _endpoint_ids(raw: str) -> frozenset[str]:
    """Spring's exposure list: comma-separated endpoint ids, `*` for all; ids this app lacks are ignored."""
    ids = {part.strip().lower() for part in raw.split(",") if part.strip()}
    if "*" in ids:
        return frozenset(ENDPOINTS)
    return frozenset(ids & set(ENDPOINTS))
