"""The documentation site builds as `make docs` builds it (`mkdocs build --strict`), works offline, and a strict
build fails on what would break it: a link to a missing page or anchor, a page left out of the navigation."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs_pages import DOCS, ROOT

MKDOCS = Path(sys.executable).parent / "mkdocs"
# An asset the browser would fetch from elsewhere: a font, a script, a style sheet, an image.
EXTERNAL_ASSET = re.compile(r"<(?:link|script|img)\b[^>]*\b(?:href|src)=\"(?:https?:)?//[^\"]*\"")


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    assert MKDOCS.exists(), "mkdocs is a dev dependency: run `make venv`"
    return subprocess.run(
        [str(MKDOCS), "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # Material's banner about its end of life
        check=False,
    )


def test_the_site_builds_strictly_with_no_external_assets(tmp_path: Path) -> None:
    done = build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    pages = sorted((tmp_path / "site").glob("*.html"))
    assert {page.stem for page in pages} >= {p.stem for p in DOCS.glob("*.md")}
    for page in pages:
        found = EXTERNAL_ASSET.findall(page.read_text(encoding="utf-8"))
        assert not found, f"{page.name} loads {found}: the site must work offline"


@pytest.fixture
def docs_copy(tmp_path: Path) -> Path:
    shutil.copytree(DOCS, tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    return tmp_path


@pytest.mark.parametrize(
    ("page", "text", "complaint"),
    [
        ("metrics.md", "[gone](no-such-page.md)", "'no-such-page.md', but the target is not found"),
        ("metrics.md", "[gone](pump.md#no-such-heading)", "does not contain an anchor '#no-such-heading'"),
        ("not-in-nav.md", "# A page the navigation does not list", "not-in-nav.md"),
    ],
    ids=["broken-link", "broken-anchor", "page-not-in-nav"],
)
def test_a_strict_build_fails_on(docs_copy: Path, page: str, text: str, complaint: str) -> None:
    target = docs_copy / "docs" / page
    target.write_text((target.read_text(encoding="utf-8") if target.exists() else "") + f"\n{text}\n")
    done = build(docs_copy / "mkdocs.yml", docs_copy / "site")
    assert done.returncode != 0 and complaint in done.stderr, done.stderr
