"""The documentation (docs/*.md, README.md) as the tests that keep it true read it: a page, a section of it
under a heading, the fenced code blocks of a language. Pages are named by their path from the repository
root, as in `section("docs/http.md", "A session to paste")`."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

_HEADING = re.compile(r"^(#{1,6}) (.+?)\s*$")
_FENCE = "```"


def page(name: str) -> str:
    """The text of the page `name` (docs/http.md, README.md)."""
    path = ROOT / name
    assert path.is_file(), f"{name} is missing (mkdocs.yml's nav lists the pages of docs/)"
    return path.read_text(encoding="utf-8")


def section(name: str, heading: str) -> str:
    """What the page `name` says under the heading `heading` (written as in the page, at any level), up to the
    next heading of the same or a higher level. Lines in fenced code blocks are never headings."""
    taken: list[str] = []
    level = 0
    in_code = False
    for line in page(name).splitlines(keepends=True):
        found = None if in_code else _HEADING.match(line)
        if line.startswith(_FENCE):
            in_code = not in_code
        if found and level and len(found[1]) <= level:
            break
        if level:
            taken.append(line)
        elif found and found[2] == heading:
            level = len(found[1])
    assert level, f"{name} has no heading {heading!r}"
    return "".join(taken)


def code_blocks(text: str, language: str) -> list[str]:
    """The bodies of the fenced code blocks in `text` whose language is `language` ("" for none), in order."""
    found = re.findall(r"^```(\w*)\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
    return [body for lang, body in found if lang == language]
