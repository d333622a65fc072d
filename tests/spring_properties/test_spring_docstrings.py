"""The `>>>` examples in spring_properties' docstrings run and say what they show."""

import doctest
import importlib
import pkgutil

import pytest

import spring_properties

MODULES = sorted(m.name for m in pkgutil.walk_packages(spring_properties.__path__, "spring_properties."))


@pytest.mark.parametrize("name", MODULES)
def test_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
