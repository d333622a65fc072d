"""The registry of built-ins is complete: one module per transform or predicate, each registered and documented."""

import importlib
import inspect
import pkgutil

import transforms.builtin
from transforms.builtin import CONNECT_PACKAGES, PREDICATES, TRANSFORMATIONS
from transforms.plugin import Predicate, Transformation
from transforms.registry import find_class


def plugin_classes_by_module() -> dict[str, list[type]]:
    found: dict[str, list[type]] = {}
    for module_info in pkgutil.walk_packages(transforms.builtin.__path__, "transforms.builtin."):
        if module_info.ispkg:
            continue
        module = importlib.import_module(module_info.name)
        found[module_info.name] = [
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj)
            and obj.__module__ == module.__name__
            and issubclass(obj, Transformation | Predicate)
        ]
    return found


def test_one_plugin_per_module() -> None:
    assert {name: len(classes) for name, classes in plugin_classes_by_module().items()} == {
        name: 1 for name in plugin_classes_by_module()
    }


def test_every_plugin_registered() -> None:
    defined = {cls for classes in plugin_classes_by_module().values() for cls in classes}
    assert defined == set(TRANSFORMATIONS.values()) | set(PREDICATES.values())


def test_registered_under_class_name_and_right_kind() -> None:
    assert all(issubclass(cls, Transformation) and cls.__name__ == n for n, cls in TRANSFORMATIONS.items())
    assert all(issubclass(cls, Predicate) and cls.__name__ == n for n, cls in PREDICATES.items())


def test_the_built_ins_of_issue_3() -> None:
    assert sorted(TRANSFORMATIONS) == [
        "DropHeaders",
        "Filter",
        "InsertHeader",
        "RegexRouter",
        "TimestampParityRouter",
        "TimestampRouter",
        "ValueTemplate",
    ]
    assert sorted(PREDICATES) == ["HasHeaderKey", "RecordIsTombstone", "TopicNameMatches"]


def test_every_plugin_and_key_documented() -> None:
    for cls in [*TRANSFORMATIONS.values(), *PREDICATES.values()]:
        assert cls.__doc__ and cls.__doc__.strip(), cls
        assert all(key.doc.strip() for key in cls.CONFIG.keys), cls


def test_connect_class_names_resolve_to_the_built_ins() -> None:
    for package, names in CONNECT_PACKAGES.items():
        for name in names:
            kind = "predicate" if "predicates" in package else "transformation"
            assert find_class(kind, package + name).__name__ == name
