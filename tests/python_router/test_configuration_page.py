"""docs/configuration.md lists every property the code declares: each property-name constant of the modules
that read properties appears in the page (names compared as Spring binds them: case, `_`/`.` and `-` aside)."""

from __future__ import annotations

import re
from types import ModuleType

import pytest

import python_router.app
import python_router.binding
import python_router.instance_identity
import sidecar.settings
from tests.docs_pages import page

READERS = (python_router.binding, python_router.app, python_router.instance_identity, sidecar.settings)
PROPERTY = re.compile(r"(?:spring|server|router|management)\.[\w.-]+")


def uniform(text: str) -> str:
    return text.lower().replace("_", ".").replace("-", "")


def declared(module: ModuleType) -> list[str]:
    return [v for k, v in vars(module).items() if k.isupper() and isinstance(v, str) and PROPERTY.fullmatch(v)]


@pytest.mark.parametrize("name", sorted({name for module in READERS for name in declared(module)}))
def test_the_page_lists(name: str) -> None:
    assert uniform(name) in uniform(page("docs/configuration.md")), f"docs/configuration.md does not mention {name}"
