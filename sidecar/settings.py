"""The sidecar's settings, read from Spring-style properties and checked at startup, all problems at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

from transforms.errors import ConfigError

from .secrets import mask_value

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
# springdoc's `openapi` and `swagger-ui` are when it serves them as actuator endpoints.
ENDPOINTS: Final = ("health", "info", "prometheus", "openapi", "swagger-ui")
DEFAULT_EXPOSURE: Final = "health,info,prometheus,openapi,swagger-ui"

_MIN_LIVENESS_TIMEOUT_S: Final = 1.0
_MIN_REQUEST_SIZE: Final = 1024

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class SidecarSettings:
    """How the sidecar serves. Build it from properties with `from_properties`, or directly in tests:

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
    exposed: frozenset[str] = frozenset(ENDPOINTS)

    @classmethod
    def from_properties(cls, properties: Mapping[str, str]) -> SidecarSettings:
        """Read the properties above (unknown ones are ignored, as Spring does).

        Raises ConfigError listing every invalid value, in Kafka Connect's wording."""
        problems: list[str] = []
        defaults = cls()
        # Spring's relaxed binding: `server.maxRequestSize` and `SERVER.MAX-REQUEST-SIZE` are the same property.
        relaxed = {_canonical(name): value for name, value in properties.items()}

        def read(name: str, parse: Callable[[str], _T], default: _T) -> _T:
            raw = relaxed.get(_canonical(name))
            if raw is None:
                return default
            try:
                return parse(raw.strip())
            except ValueError as why:
                problems.append(f"Invalid value {mask_value(name, raw)} for configuration {name}: {why}")
                return default

        port = read(SERVER_PORT, _parse_port, defaults.port)
        host = read(SERVER_ADDRESS, _parse_address, defaults.host)
        max_size = read(MAX_REQUEST_SIZE, _parse_request_size, defaults.max_request_size)
        connection_timeout = read(CONNECTION_TIMEOUT, _parse_connection_timeout, defaults.connection_timeout_s)
        max_connections = read(MAX_CONNECTIONS, _positive_int, defaults.max_connections)
        max_batch_records = read(MAX_BATCH_RECORDS, _positive_int, defaults.max_batch_records)
        liveness = read(LIVENESS_TIMEOUT, _parse_liveness_timeout, defaults.liveness_timeout_s)
        route = read(ROUTE_ENABLED, _parse_bool, defaults.route_enabled)
        include = _endpoint_ids(relaxed.get(_canonical(EXPOSURE_INCLUDE), DEFAULT_EXPOSURE))
        exclude = _endpoint_ids(relaxed.get(_canonical(EXPOSURE_EXCLUDE), ""))
        if problems:
            raise ConfigError(problems)
        return cls(
            port=port,
            host=host,
            max_request_size=max_size,
            connection_timeout_s=connection_timeout,
            max_connections=max_connections,
            max_batch_records=max_batch_records,
            liveness_timeout_s=liveness,
            route_enabled=route,
            exposed=frozenset(include - exclude),
        )


def _canonical(name: str) -> str:
    return name.lower().replace("-", "")


# Parsers raise ValueError with the "what to do" half of the message.


def _parse_port(raw: str) -> int:
    if not raw.isdigit() or not 0 <= int(raw) <= 65535:
        raise ValueError("Value must be a TCP port number from 0 to 65535 (0 picks a free port).")
    return int(raw)


def _parse_address(raw: str) -> str:
    if not raw or any(c.isspace() for c in raw):
        raise ValueError("Value must be a host name or IP address to bind, e.g. 0.0.0.0, 127.0.0.1 or ::.")
    return raw


_DATA_SIZE: Final = re.compile(r"(\d+)\s*([KMGT]?B)?", re.IGNORECASE)
_DATA_UNITS: Final = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


def _parse_request_size(raw: str) -> int:
    """Spring's DataSize: a byte count with an optional unit B, KB, MB, GB (powers of 1024)."""
    match = _DATA_SIZE.fullmatch(raw)
    if match is None:
        raise ValueError("Value must be a size such as 1048576, 512KB or 4MB (Spring's DataSize syntax).")
    size = int(match.group(1)) * _DATA_UNITS[(match.group(2) or "B").upper()]
    if size < _MIN_REQUEST_SIZE:
        raise ValueError(f"Value must be at least {_MIN_REQUEST_SIZE} bytes (1KB), or no request fits.")
    return size


_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)\s*(ns|us|ms|s|m|h|d)?", re.IGNORECASE)
_ISO_DURATION: Final = re.compile(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", re.IGNORECASE)
_DURATION_UNITS_S: Final = {
    "ns": 1e-9,
    "us": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}


def parse_duration_s(raw: str) -> float:
    """Spring's Duration: `60s`, `500ms`, `2m`, ISO-8601 `PT1M`; a bare number is milliseconds."""
    simple = _DURATION.fullmatch(raw)
    if simple is not None:
        return float(simple.group(1)) * _DURATION_UNITS_S[(simple.group(2) or "ms").lower()]
    iso = _ISO_DURATION.fullmatch(raw)
    if iso is not None and any(iso.groups()):
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in iso.groups())
        return days * 86400 + hours * 3600 + minutes * 60 + seconds
    raise ValueError("Value must be a duration such as 60s, 90000ms, 2m or PT1M (Spring's Duration syntax).")


def _parse_liveness_timeout(raw: str) -> float:
    seconds = parse_duration_s(raw)
    if seconds < _MIN_LIVENESS_TIMEOUT_S:
        hint = " (a bare number is milliseconds, as in Spring: write 60s for a minute)" if raw.isdigit() else ""
        raise ValueError(f"Value must be at least 1s, or the app would be restarted between two polls{hint}.")
    return seconds


def _parse_connection_timeout(raw: str) -> float:
    seconds = parse_duration_s(raw)
    if seconds < 0.1:
        raise ValueError("Value must be at least 100ms, or no client could send its request in time (default 20s).")
    return seconds


def _positive_int(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError("Value must be a whole number of at least 1.")
    return int(raw)


# Spring's StringToBooleanConverter, as binding.py reads every other boolean property.
TRUE: Final = frozenset({"true", "on", "yes", "1"})
FALSE: Final = frozenset({"false", "off", "no", "0"})


def _parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered not in TRUE | FALSE:
        raise ValueError("Value must be true or false (on/off, yes/no and 1/0 work too, as in Spring).")
    return lowered in TRUE


def _endpoint_ids(raw: str) -> frozenset[str]:
    """Spring's exposure list: comma-separated endpoint ids, `*` for all; ids this app lacks are ignored."""
    ids = {part.strip().lower() for part in raw.split(",") if part.strip()}
    if "*" in ids:
        return frozenset(ENDPOINTS)
    return frozenset(ids & set(ENDPOINTS))
