"""The `>>>` examples in the transforms package's docstrings run and say what they show."""

import doctest
import importlib
import pkgutil

import pytest

import transforms

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(transforms.__path__, "transforms.") if m.name != "transforms.docs"
)


@pytest.mark.parametrize("name", MODULES)
def test_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
