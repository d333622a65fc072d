"""The startup errors the docs show are the app's real output: each `$ python-router ...` example in
docs/configuration.md and docs/troubleshooting.md is run, and its output compared line by line."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROUTER = Path(sys.executable).parent / "python-router"
PAGES = ("docs/configuration.md", "docs/troubleshooting.md")


def examples() -> list[tuple[str, str, list[str]]]:
    """(page, command, expected output lines) of every console block that runs python-router."""
    found = []
    for page in PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        for block in re.findall(r"```console\n(.*?)```", text, re.S):
            command, *output = block.strip().splitlines()
            if command.startswith("$ python-router "):
                found.append((page, command.removeprefix("$ "), output))
    return found


def arguments(command: str) -> list[bytes]:
    """The command's arguments as bytes, bash's $'...' quoting decoded (how a doc writes a non-UTF-8 byte)."""
    args: list[bytes] = []
    for word in shlex.split(re.sub(r"\$'([^']*)'", lambda m: f"'{m[1]}'", command))[1:]:
        args.append(word.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1"))
    return args


def test_both_pages_show_an_example() -> None:
    assert {page for page, _, _ in examples()} == set(PAGES)


@pytest.mark.parametrize(("page", "command", "expected"), examples())
def test_the_example_is_the_apps_real_output(page: str, command: str, expected: list[str]) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SPRING_", "SERVER_", "ROUTER_"))}
    result = subprocess.run(
        [str(ROUTER), *arguments(command)], capture_output=True, cwd=ROOT, env=environ, timeout=60, check=False
    )
    assert result.returncode == 2
    assert result.stderr.decode("utf-8").splitlines() == expected, f"{page}: {command}"
