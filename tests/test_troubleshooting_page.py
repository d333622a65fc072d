"""docs/troubleshooting.md is made of the app's own messages: every piece of a message its headings quote is
still written by the code (a string or f-string of a package, `<...>` standing for a placeholder)."""

from __future__ import annotations

import ast
import re
from functools import cache

import pytest

from tests.docs_pages import ROOT, page

PACKAGES = ("transforms", "spring_properties", "sidecar", "pump", "python_router")
PAGE = "docs/troubleshooting.md"
PLACEHOLDER = "\x00"


@cache
def messages() -> tuple[str, ...]:
    """Every string the packages hold, an f-string's and a %-format's placeholders as PLACEHOLDER."""
    found: list[str] = []
    for path in sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                parts = [v.value if isinstance(v, ast.Constant) else PLACEHOLDER for v in node.values]
                found.append("".join(str(part) for part in parts))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append(re.sub(r"%(?:\.\d+)?[sdfr]", PLACEHOLDER, node.value))
    return tuple(found)


def quoted() -> list[str]:
    """The code spans of the page's message headings (### level)."""
    headings = [line for line in page(PAGE).splitlines() if line.startswith("### ")]
    return [span for heading in headings for span in re.findall(r"`([^`]+)`", heading)]


def test_the_page_quotes_messages() -> None:
    assert len(quoted()) >= 20


@pytest.mark.parametrize("piece", quoted())
def test_the_code_still_writes(piece: str) -> None:
    wanted = re.sub(r"<[^>]+>", PLACEHOLDER, piece)
    assert any(wanted in message for message in messages()), f"no message in {', '.join(PACKAGES)} contains {piece!r}"
