"""`python-router validate`: the start's own checks, and nothing else. Exit 0 with the resolved chain and
bindings, or 2 with every problem, one line each; no broker is ever contacted."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

from tests.security.router_process import clean_environ

ROOT = Path(__file__).resolve().parents[2]
ROUTER = Path(sys.executable).parent / "python-router"
WIRING = [
    "--spring.cloud.stream.bindings.input.destination=timeDest",
    "--spring.cloud.stream.bindings.even.destination=evenDest",
    "--spring.cloud.stream.bindings.odd.destination=oddDest",
    "--spring.cloud.stream.bindings.input.group=timeStream",
]


def validate(*arguments: str, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROUTER), "validate", *arguments],
        cwd=ROOT,
        env=clean_environ(environ or {}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_good_configuration_prints_the_chain_and_bindings_and_exits_0() -> None:
    result = validate(*WIRING, "--spring.cloud.stream.kafka.binder.brokers=PLAINTEXT://kafka-broker:9092")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "python-router: the configuration is valid (checked as a start would; nothing was connected)",
        "mode: all",
        "bindings: input -> timeDest, even -> evenDest, odd -> oddDest",
        "group: timeStream",
        "brokers: kafka-broker:9092",
        "chain (connect-config/router.properties):",
        "  1. parity: TimestampParityRouter",
        "  2. labelEven: ValueTemplate, if toEven",
        "  3. labelOdd: ValueTemplate, if toOdd",
        "errors.tolerance: all, dead letters to timeDest.dlq",
    ]


def test_a_bad_configuration_lists_every_problem_of_every_group_and_exits_2(tmp_path: Path) -> None:
    chain = tmp_path / "chain.properties"
    chain.write_text(
        "transforms=parity,typo\n"
        "transforms.parity.type=TimestampParityRouter\n"
        "transforms.parity.even.topic=${binding:even}\n"
        "transforms.parity.odd.topic=${binding:odd}\n"
        "transforms.parity.unit=fortnights\n"
        "transforms.typo.type=NoSuchTransform\n"
    )
    result = validate(
        *WIRING,
        f"--router.chain.location={chain}",
        "--server.port=99999",
        "--spring.cloud.stream.kafka.binder.configuration.security.protocol=SASL_FOO",
        "--spring.cloud.stream.kafka.binder.configuration.sasl.jaas.config=secret-jaas-text",
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    problems = [line for line in lines if line.startswith("python-router: invalid configuration: ")]
    assert len(problems) == 4, result.stderr
    for expected in (
        "Invalid value 99999 for configuration server.port",
        "Invalid value SASL_FOO for configuration security.protocol",
        "Invalid value fortnights for configuration transforms.parity.unit",
        "NoSuchTransform",
    ):
        assert sum(expected in p for p in problems) == 1, (expected, result.stderr)
    assert lines[-1] == "python-router: 4 problems; nothing was started"
    assert "secret-jaas-text" not in result.stderr


def test_a_missing_chain_file_is_one_problem_with_what_to_do(tmp_path: Path) -> None:
    result = validate(*WIRING, f"--router.chain.location={tmp_path / 'absent.properties'}")
    assert result.returncode == 2
    assert "absent.properties" in result.stderr and "router.chain.location" in result.stderr
    assert result.stderr.splitlines()[-1] == "python-router: 1 problem; nothing was started"


def test_validate_reads_the_sources_a_start_reads() -> None:
    environ = {
        "SPRING_APPLICATION_JSON": '{"spring.cloud.stream.bindings.even.destination": "fromJson"}',
        "SPRING_CLOUD_STREAM_BINDINGS_ODD_DESTINATION": "fromEnv",
    }
    result = validate("--spring.cloud.stream.bindings.input.destination=timeDest", environ=environ)
    assert result.returncode == 0, result.stderr
    assert "bindings: input -> timeDest, even -> fromJson, odd -> fromEnv" in result.stdout


def test_validate_never_connects_to_the_brokers() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    accepted: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    watcher = threading.Thread(target=accept)
    watcher.start()
    try:
        result = validate(*WIRING, f"--spring.cloud.stream.kafka.binder.brokers=127.0.0.1:{port}")
    finally:
        stop.set()
        watcher.join()
        listener.close()
    assert result.returncode == 0, result.stderr
    assert f"brokers: 127.0.0.1:{port}" in result.stdout
    assert accepted == []
