"""Every startup problem, of every group, is reported in one run, one line each, and then exit 2; every source
is read as Spring reads it, and a value that is not text is one line naming the property, never a traceback."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from python_router.app import RouterApp
from python_router.settings import Settings
from spring_properties import SettingsError

ROOT = Path(__file__).resolve().parents[2]
ROUTER = Path(sys.executable).parent / "python-router"
CHAIN = ROOT / "connect-config" / "router.properties"
BINDER = "spring.cloud.stream.kafka.binder"

# One problem of each group, and the start of the one line that names it.
PROBLEMS = {
    "properties": (f"--{BINDER}.brokers=kafka:abc", f"Invalid value kafka:abc for configuration {BINDER}.brokers:"),
    "chain": (
        "--transforms.parity.unit=fortnights",
        "Invalid value fortnights for configuration transforms.parity.unit:",
    ),
    "client settings": (
        f"--{BINDER}.configuration.request.timeout.ms=soon",
        "Invalid value soon for configuration request.timeout.ms: Not a number of type INT",
    ),
    "server settings": ("--server.port=abc", "Invalid value abc for configuration server.port:"),
}


def problems_of(*argv: str, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    with pytest.raises(SettingsError) as raised:
        RouterApp.configure([*argv, f"--router.chain.location={CHAIN}"], environ or {})
    return raised.value.problems


@pytest.mark.parametrize(("first", "second"), list(itertools.combinations(PROBLEMS, 2)))
def test_problems_of_two_groups_are_reported_together_one_line_each(first: str, second: str) -> None:
    problems = problems_of(PROBLEMS[first][0], PROBLEMS[second][0])
    assert len(problems) == 2, problems
    assert problems[0].startswith(PROBLEMS[first][1]) or problems[1].startswith(PROBLEMS[first][1]), problems
    assert problems[0].startswith(PROBLEMS[second][1]) or problems[1].startswith(PROBLEMS[second][1]), problems
    assert all("\n" not in problem for problem in problems)


def test_every_client_setting_problem_is_reported_not_only_the_first() -> None:
    problems = problems_of(
        f"--{BINDER}.configuration.security.protocol=SASL_SSL",
        f"--{BINDER}.configuration.sasl.mechanism=SCRAM-SHA-512",  # but no sasl.jaas.config
        f"--{BINDER}.configuration.request.timeout.ms=soon",
        f"--{BINDER}.producerProperties.acks=most",
    )
    assert len(problems) == 3, problems
    assert any(p.startswith('Missing required configuration "sasl.jaas.config"') for p in problems)
    assert any(p.startswith("Invalid value soon for configuration request.timeout.ms:") for p in problems)
    assert any(p.startswith("Invalid value most for configuration acks:") for p in problems)


@pytest.mark.parametrize(
    ("argv", "starts"),
    [
        (
            ["--router.shutdown.timeout=forever", "--server.max-request-size=lots"],
            [
                "Invalid value forever for configuration router.shutdown.timeout:",
                "Invalid value lots for configuration",
            ],
        ),
        (
            ["--server.port=abc", "--transforms.parity.unit=fortnights"],
            ["Invalid value abc for configuration server.port:", "Invalid value fortnights for configuration"],
        ),
    ],
)
def test_the_issues_examples_report_both_problems(argv: list[str], starts: list[str]) -> None:
    problems = problems_of(*argv)
    assert len(problems) == 2, problems
    assert all(any(problem.startswith(start) for problem in problems) for start in starts), problems


def run(
    args: Sequence[str | bytes], env: Mapping[str, str | bytes] | None = None
) -> subprocess.CompletedProcess[bytes]:
    environ: dict[str | bytes, str | bytes] = {
        k: v for k, v in os.environ.items() if not k.startswith(("SPRING_", "SERVER_", "ROUTER_", "TRANSFORMS_"))
    }
    environ.update(env or {})
    return subprocess.run([str(ROUTER), *args], capture_output=True, cwd=ROOT, env=environ, timeout=60)  # type: ignore[arg-type]


def one_line_and_exit_2(result: subprocess.CompletedProcess[bytes]) -> str:
    stderr = result.stderr.decode("utf-8")
    assert result.returncode == 2, stderr + result.stdout.decode("utf-8", "replace")
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("python-router: invalid configuration: Invalid value ")
    return lines[0]


def test_all_four_groups_in_one_run_of_the_console_script() -> None:
    stderr = run([argument for argument, _ in PROBLEMS.values()]).stderr.decode("utf-8")
    lines = stderr.strip().splitlines()
    assert len(lines) == 4, lines
    for _, start in PROBLEMS.values():
        assert any(line.removeprefix("python-router: invalid configuration: ").startswith(start) for line in lines)


NOT_UTF8 = b"caf\xe9\xff"  # Latin-1 e-acute, then a byte that is never UTF-8


@pytest.mark.parametrize(
    ("args", "env", "names"),
    [
        ([b"--spring.application.name=" + NOT_UTF8], {}, "spring.application.name"),
        ([], {"SPRING_APPLICATION_NAME": NOT_UTF8}, "spring.application.name"),
        (
            [],
            {"SPRING_APPLICATION_JSON": b'{"spring": {"application": {"name": "' + NOT_UTF8 + b'"}}}'},
            "spring.application.name",
        ),
    ],
    ids=["argument", "environment", "SPRING_APPLICATION_JSON"],
)
def test_a_value_that_is_not_text_is_one_line_naming_the_property(
    args: list[bytes], env: dict[str, bytes], names: str
) -> None:
    line = one_line_and_exit_2(run(args, env))
    assert f"for configuration {names}: it is not text" in line
    assert "caf\\xe9\\xff" in line  # the bytes shown, not a mangled guess


def test_a_properties_file_is_read_as_latin_1_like_java(tmp_path: Path) -> None:
    config = tmp_path / "application.properties"
    config.write_bytes(b"# caf\xe9: a Latin-1 comment is ordinary in Java\nserver.port=8080\xe9\n")
    line = one_line_and_exit_2(run([f"--spring.config.location={config}"]))
    assert "Invalid value 8080\u00e9 for configuration server.port: " in line
    assert line.endswith(f"(origin: file {config})")


def test_the_chain_file_is_read_as_latin_1_like_java(tmp_path: Path) -> None:
    chain = tmp_path / "chain.properties"
    chain.write_bytes(b"# caf\xe9\n" + CHAIN.read_bytes() + b"\ntransforms.parity.unit=semaine\xe9\n")
    line = one_line_and_exit_2(run([f"--router.chain.location={chain}"]))
    assert "Invalid value semaine\u00e9 for configuration transforms.parity.unit: " in line


@pytest.mark.parametrize(
    "data",
    [
        b"spring.application.name=caf\xe9\n",  # ISO-8859-1, as Java writes it
        "spring.application.name=café\n".encode(),  # UTF-8, as an editor may write it
        b"spring.application.name=caf\\u00e9\n",  # Java's escape
    ],
    ids=["latin-1", "utf-8", "escape"],
)
def test_a_properties_file_value_reads_the_same_in_each_encoding(data: bytes) -> None:
    settings = Settings.resolve(
        ["--spring.config.location=/app.properties"],
        {},
        read_file=lambda path: data,
        exists=lambda path: True,
    )
    assert settings.app_name == "café"


def test_a_json_value_that_is_a_lone_surrogate_escape_is_named() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.resolve([], {"SPRING_APPLICATION_JSON": json.dumps({"spring.application.name": "\ud800"})})
    assert raised.value.problems == (
        "Invalid value \\ud800 for configuration spring.application.name: it is not text (bytes that are not "
        "UTF-8): write it in UTF-8, or as \\uXXXX escapes in a .properties file (origin: SPRING_APPLICATION_JSON)",
    )
