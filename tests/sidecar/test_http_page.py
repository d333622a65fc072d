"""docs/http.md's curl session (and README.md's taste of it), run as a person would: `python-router` as shown,
then every `$ curl ...` of its console blocks, in order, each answer compared with the one shown. So neither
can drift.

How a shown answer is compared with the real one:
- `HTTP/1.1 200 OK` first: curl ran with -i; the status line must match, and each header line shown after it
  must be among the real headers (others are left out of the page);
- a body that is JSON must equal the real body as JSON, where the string "..." stands for any value and a
  string ending in "..." for any string that starts with what precedes it;
- any other body must equal the real output line for line.
"""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import orjson
import pytest

from tests.docs_pages import ROOT, code_blocks, section

# Each session runs against its own python-router: the metrics at the end of the page count its requests.
SESSIONS = {"docs": ("docs/http.md", "A session to paste"), "README": ("README.md", "A taste of `/route`")}
SHOWN_ADDRESS = "localhost:8080"
ENTRY_POINT = ".venv/bin/python-router"


@dataclass(frozen=True)
class Example:
    command: str
    shown: str


def blocks(session: str, language: str) -> list[str]:
    return code_blocks(section(*SESSIONS[session]), language)


def start_command(session: str) -> list[str]:
    """The section's `python-router ...` command (its first sh block), as arguments."""
    commands = [b for b in blocks(session, "sh") if b.startswith(ENTRY_POINT)]
    assert commands, f"{SESSIONS[session]} shows no sh block starting with {ENTRY_POINT}"
    arguments = shlex.split(commands[0].replace("\\\n", " "))
    return [sys.executable, "-m", "python_router", *arguments[1:]]


def examples(session: str) -> list[Example]:
    found: list[Example] = []
    for block in blocks(session, "console"):
        for chunk in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            lines = chunk.split("\n")
            command_lines = [lines.pop(0)]
            while command_lines[-1].endswith("\\"):
                command_lines.append(lines.pop(0))
            found.append(Example("\n".join(command_lines), "\n".join(lines).strip("\n")))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module", params=sorted(SESSIONS))
def session(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def port(session: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    command = [*start_command(session), f"--server.port={port}", "--server.address=127.0.0.1"]
    log = tmp_path_factory.mktemp(f"session-{session}") / "python-router.log"
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"python-router exited ({process.returncode}): {log.read_text()}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/actuator/health/liveness", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"python-router did not answer on port {port} within 30 s: {log.read_text()}")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def matches(shown: object, real: object) -> bool:
    if isinstance(shown, str) and shown.endswith("..."):
        return shown == "..." or (isinstance(real, str) and real.startswith(shown[:-3]))
    if isinstance(shown, dict):
        return isinstance(real, dict) and shown.keys() == real.keys() and all(matches(shown[k], real[k]) for k in shown)
    if isinstance(shown, list):
        return isinstance(real, list) and len(shown) == len(real) and all(map(matches, shown, real))
    return shown == real and type(shown) is type(real)


def compare(example: Example, output: str) -> None:
    shown = example.shown
    body = output
    if shown.startswith("HTTP/"):
        shown_head, _, shown = shown.partition("\n\n")
        real_head, _, body = output.replace("\r\n", "\n").partition("\n\n")
        status, *headers = shown_head.split("\n")
        real_status, *real_headers = real_head.split("\n")
        assert real_status.strip() == status, f"{example.command}\nstatus: {real_status!r}, shown: {status!r}"
        real_lower = {h.strip().lower() for h in real_headers}
        for header in headers:
            assert header.lower() in real_lower, f"{example.command}\nheader {header!r} missing from {real_head}"
    if shown.lstrip().startswith(("{", "[")):
        expected = orjson.loads(shown)
        actual = orjson.loads(body)
        assert matches(expected, actual), f"{example.command}\nthe page shows:\n{shown}\nThe app answers:\n{body}"
    else:
        assert body.strip("\n").split("\n") == shown.split("\n"), f"{example.command}\ngot:\n{body}"


def test_the_page_has_the_session_the_issue_asks_for() -> None:
    commands = " ".join(e.command for e in examples("docs"))
    for wanted in ("/actuator/health", "/actuator/info", "17:56:36", "17:56:37", "not a time", "/route/batch"):
        assert wanted in commands, wanted


def test_every_curl_example_answers_as_shown(session: str, port: int) -> None:
    for example in examples(session):
        command = example.command.replace(SHOWN_ADDRESS, f"127.0.0.1:{port}")
        done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30, cwd=ROOT)
        assert done.returncode == 0, f"{example.command}\nexit {done.returncode}: {done.stderr}"
        compare(example, done.stdout)
