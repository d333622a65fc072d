"""Reading the sidecar's settings from Spring-style properties."""

import pytest

from sidecar import SidecarSettings
from transforms.errors import ConfigError


def test_defaults() -> None:
    default = SidecarSettings.from_properties({})
    assert default == SidecarSettings()
    assert (default.port, default.host, default.max_request_size) == (8080, "0.0.0.0", 1024 * 1024)
    assert default.liveness_timeout_s == 60.0
    assert default.route_enabled is True
    assert default.exposed == {"health", "info", "prometheus", "openapi", "swagger-ui"}


def test_server_port_and_address() -> None:
    read = SidecarSettings.from_properties({"server.port": "20001", "server.address": "127.0.0.1"})
    assert (read.port, read.host) == (20001, "127.0.0.1")
    assert SidecarSettings.from_properties({"server.port": "0"}).port == 0


@pytest.mark.parametrize(
    ("raw", "size"), [("4MB", 4 * 1024**2), ("512KB", 512 * 1024), ("2048", 2048), ("1gb", 1024**3)]
)
def test_max_request_size_takes_springs_data_size(raw: str, size: int) -> None:
    assert SidecarSettings.from_properties({"server.max-request-size": raw}).max_request_size == size


@pytest.mark.parametrize(("raw", "seconds"), [("60s", 60), ("2m", 120), ("90000ms", 90), ("PT1M30S", 90), ("1h", 3600)])
def test_liveness_timeout_takes_springs_duration(raw: str, seconds: float) -> None:
    assert SidecarSettings.from_properties({"router.liveness.timeout": raw}).liveness_timeout_s == seconds


@pytest.mark.parametrize(
    ("include", "exclude", "exposed"),
    [
        ("health", "", {"health"}),
        ("*", "", {"health", "info", "prometheus", "openapi", "swagger-ui", "refresh", "validate"}),  # all, as Spring
        ("*", "prometheus,refresh,validate", {"health", "info", "openapi", "swagger-ui"}),
        ("health, info, env, beans", "", {"health", "info"}),  # ids this app lacks are ignored, as in Spring
        ("health,info,prometheus", "*", set()),
    ],
)
def test_exposure_include_and_exclude(include: str, exclude: str, exposed: set[str]) -> None:
    read = SidecarSettings.from_properties(
        {"management.endpoints.web.exposure.include": include, "management.endpoints.web.exposure.exclude": exclude}
    )
    assert read.exposed == exposed


def test_route_can_be_turned_off() -> None:
    assert SidecarSettings.from_properties({"router.route.enabled": "false"}).route_enabled is False


def test_every_invalid_value_is_reported_at_once_in_connects_wording() -> None:
    with pytest.raises(ConfigError) as raised:
        SidecarSettings.from_properties(
            {
                "server.port": "80800",
                "server.max-request-size": "lots",
                "router.liveness.timeout": "60",
                "router.route.enabled": "maybe",
            }
        )
    assert raised.value.problems == (
        "Invalid value 80800 for configuration server.port: "
        "Value must be a TCP port number from 0 to 65535 (0 picks a free port).",
        "Invalid value lots for configuration server.max-request-size: "
        "Value must be a size such as 1048576, 512KB or 4MB (Spring's DataSize syntax).",
        "Invalid value 60 for configuration router.liveness.timeout: Value must be at least 1s, or the app "
        "would be restarted between two polls (a bare number is milliseconds, as in Spring: write 60s).",
        "Invalid value maybe for configuration router.route.enabled: "
        "Value must be true or false (on/off, yes/no and 1/0 work too, as in Spring).",
    )


def test_booleans_read_as_spring_reads_them() -> None:
    assert SidecarSettings.from_properties({"router.route.enabled": "yes"}).route_enabled is True
    assert SidecarSettings.from_properties({"router.route.enabled": "off"}).route_enabled is False


def test_a_too_small_request_size_is_refused() -> None:
    with pytest.raises(ConfigError, match="at least 1024 bytes"):
        SidecarSettings.from_properties({"server.max-request-size": "100B"})


def test_names_are_bound_relaxed_as_spring_does() -> None:
    read = SidecarSettings.from_properties(
        {
            "server.maxRequestSize": "2MB",
            "ROUTER.LIVENESS.TIMEOUT": "90s",
            "management.endpoints.web.exposure.INCLUDE": "health",
        }
    )
    assert (read.max_request_size, read.liveness_timeout_s, read.exposed) == (2 * 1024**2, 90.0, {"health"})


def test_connection_limits_and_the_batch_cap() -> None:
    settings = SidecarSettings.from_properties(
        {"server.connection-timeout": "5s", "server.max-connections": "200", "router.route.batch.max-records": "900"}
    )
    assert (settings.connection_timeout_s, settings.max_connections, settings.max_batch_records) == (5.0, 200, 900)
    with pytest.raises(ConfigError) as refused:
        SidecarSettings.from_properties(
            {"server.connection-timeout": "10ms", "server.max-connections": "0", "router.route.batch.max-records": "x"}
        )
    assert list(refused.value.problems) == [
        "Invalid value 10ms for configuration server.connection-timeout: Value must be at least 100ms, "
        "or no client could send its request in time (default 20s).",
        "Invalid value 0 for configuration server.max-connections: Value must be a whole number of at least 1.",
        "Invalid value x for configuration router.route.batch.max-records: Value must be a whole number of at least 1.",
    ]
