"""`python-router` as a process: a bad configuration is one line on stderr and exit 2, before anything starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROUTER = Path(sys.executable).parent / "python-router"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SPRING_", "SERVER_", "ROUTER_"))}
    environ.update(env or {})
    return subprocess.run([str(ROUTER), *args], capture_output=True, text=True, cwd=ROOT, env=environ, timeout=60)


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (["--spring.cloud.stream.bindings.input.destination"], {}, "has no value"),
        ([], {"SPRING_APPLICATION_JSON": "{bad"}, "SPRING_APPLICATION_JSON is not valid JSON"),
        (["--server.port=abc"], {}, "server.port"),
        (["--router.mode=both"], {}, "Invalid value both for configuration router.mode: use all, sidecar or pump"),
        (["--router.url=http://127.0.0.1:8080"], {}, "a remote classifier needs router.mode=pump"),
        (["--router.mode=pump", "--router.url=localhost:8080"], {}, "give the sidecar's base URL"),
        (["--router.chain.location=/nowhere/chain.properties"], {}, "Cannot read the routing chain /nowhere"),
        (["--transforms.parity.even.topic="], {}, "transforms.parity.even.topic"),
        (["--router.shutdown.timeout=soon"], {}, "router.shutdown.timeout"),
        (
            ["--router.kafka.client=confluent"],
            {},
            "Invalid value confluent for configuration router.kafka.client: use kafka-python (the default) or "
            "librdkafka",
        ),
        (["--router.shutdown.timeout=20"], {}, "a bare number is milliseconds, as in Spring: write 20s"),
        (["--server.max-request-size=huge"], {}, "server.max-request-size"),
    ],
)
def test_a_bad_configuration_is_one_line_and_exit_2(args: list[str], env: dict[str, str], says: str) -> None:
    result = run(*args, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("python-router: invalid configuration: ")
    assert says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_secret_in_a_bad_value_is_not_echoed() -> None:
    jaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="Zx9-secret";'
    result = run(
        f"--spring.cloud.stream.kafka.binder.configuration.sasl.jaas.config={jaas}",
        "--spring.cloud.stream.kafka.binder.configuration.security.protocol=SASL_SSL",
        "--spring.cloud.stream.kafka.binder.configuration.sasl.mechanism=GSSAPI",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Zx9-secret" not in result.stderr + result.stdout


def test_help_shows_usage_and_exits_0() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "usage: python-router" in result.stdout


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_names_the_app_its_kafka_clients_and_python(flag: str) -> None:
    from importlib import metadata

    result = run(flag)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"python-router {metadata.version('python-router')}"
    assert lines[1] == f"kafka-python {metadata.version('kafka-python')}"
    assert lines[-1].startswith(f"Python {sys.version.split()[0]} ")
    try:
        import confluent_kafka  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        assert len(lines) == 3
    else:
        assert f"confluent-kafka {confluent_kafka.version()[0]} (librdkafka {confluent_kafka.libversion()[0]})" in lines


def test_help_lists_the_property_groups_and_points_to_the_docs() -> None:
    result = run("--help")
    for group in ("bindings and the Kafka binder", "Kafka client settings", "HTTP server", "the routing chain"):
        assert f"\n  {group}" in result.stdout
    assert "docs/configuration.md" in result.stdout
    assert "docs/troubleshooting.md" in result.stdout
