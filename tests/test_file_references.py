"""Every file the documentation names exists: the relative links and the repository paths in README.md and
docs/, and the paths in the comments and docstrings of the code and of the build files.

A path counts when its first folder is one of the repository's (`pump/loop.py`, `docs/http.md`), or when it
is a bare file name of a page or a configuration file (`transforms.md`, `router.properties`): a `.md` must be
beside the file that names it, at the root or in docs/; any other must exist somewhere in the repository.
Bare names of other kinds are left alone (`selectors.py` in a profile is the standard library's, `out.json`
an output), as are paths with a placeholder (`bench-<date>.json`) and git-ignored outputs (`bench/results/`).
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import tokenize
from collections.abc import Iterator
from functools import cache

import pytest

from tests.docs_pages import ROOT

PATH = re.compile(r"(?<![\w./:@$~<-])((?:[\w.-]+/)+[\w.-]*|[\w-]+\.(?:md|toml|ya?ml|properties))(?![\w/<*{$-])")
LINK = re.compile(r"\]\(([^)\s]+)\)")
BUILD_FILES = ("pyproject.toml", "Makefile", "Dockerfile", "compose.yaml", "mkdocs.yml", ".ci/run")


@cache
def tracked() -> tuple[str, ...]:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True)
    return tuple(name for name in listed.stdout.splitlines() if (ROOT / name).exists())


@cache
def top_level() -> frozenset[str]:
    return frozenset(name.split("/", 1)[0] for name in tracked() if "/" in name)


def ignored(path: str) -> bool:
    return subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False).returncode == 0


def python_prose(source: str) -> Iterator[str]:
    """The comments and docstrings of a Python file."""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.string
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                yield docstring


def prose(name: str) -> str:
    text = (ROOT / name).read_text(encoding="utf-8")
    if name.endswith(".py"):
        return "\n".join(python_prose(text))
    if name.endswith(".md"):
        return text
    comments = (re.search(r"(?:^|\s)#(.*)", line) for line in text.splitlines())  # build files' comments
    return "\n".join(found[1] for found in comments if found)


def sources() -> list[str]:
    pages = [n for n in tracked() if n == "README.md" or (n.startswith("docs/") and n.endswith(".md"))]
    code = [n for n in tracked() if n.endswith(".py")]
    return sorted({*pages, *code, *BUILD_FILES})


def exists(reference: str, named_in: str) -> bool:
    if (ROOT / reference).exists() or (ROOT / named_in).parent.joinpath(reference).exists():
        return True
    if "/" in reference:
        return False
    if reference.endswith(".md"):
        return any((where / reference).exists() for where in (ROOT, ROOT / "docs", (ROOT / named_in).parent))
    return any(name.rsplit("/", 1)[-1] == reference for name in tracked())


def references(name: str) -> set[str]:
    text = prose(name)
    found = {m for m in PATH.findall(text) if "/" not in m or m.split("/", 1)[0] in top_level()}
    if name.endswith(".md"):
        for target in LINK.findall(text):
            path = target.split("#", 1)[0]
            if path and not re.match(r"^[a-z]+:", path):
                found.add(path)
    return {path.rstrip("/.") for path in found if not ignored(path)}


@pytest.mark.parametrize("name", sources())
def test_every_file_it_names_exists(name: str) -> None:
    missing = sorted(ref for ref in references(name) if not exists(ref, name))
    assert not missing, f"{name} names files that do not exist: {missing}"
