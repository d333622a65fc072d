"""docs/configuration.md lists every property the code declares: each property-name constant of the modules
that read properties appears in the page (names compared as Spring binds them: case, `_`/`.` and `-` aside)."""

from __future__ import annotations

import re
from types import ModuleType

import pytest

import pump.config
import pump.remote
import python_router.binder
import python_router.settings
import sidecar.settings
import spring_properties.binder_names
import spring_properties.sources
from tests.docs_pages import page

READERS = (
    pump.config,
    pump.remote,
    spring_properties.binder_names,
    python_router.settings,
    sidecar.settings,
    spring_properties.sources,
)
PROPERTY = re.compile(r"(?:spring|server|router|management)\.[\w.-]+")


def uniform(text: str) -> str:
    return text.lower().replace("_", ".").replace("-", "")


def declared(module: ModuleType) -> list[str]:
    return [v for k, v in vars(module).items() if k.isupper() and isinstance(v, str) and PROPERTY.fullmatch(v)]


@pytest.mark.parametrize("name", sorted({name for module in READERS for name in declared(module)}))
def test_the_page_lists(name: str) -> None:
    assert uniform(name) in uniform(page("docs/configuration.md")), f"docs/configuration.md does not mention {name}"
