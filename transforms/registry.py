"""Finds the class a `type=` names: a built-in's short name (or its Kafka Connect class name), a plugin
installed through an entry point, or a dotted Python path; an unknown name gets the closest known ones."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Literal

from transforms.builtin import CONNECT_PACKAGES, PREDICATES, TRANSFORMATIONS
from transforms.config import closest
from transforms.plugin import Predicate, Transformation

Kind = Literal["transformation", "predicate"]

ENTRY_POINT_GROUPS: Mapping[Kind, str] = {
    "transformation": "python_router.transforms",
    "predicate": "python_router.predicates",
}


def builtins(kind: Kind) -> Mapping[str, type[Transformation] | type[Predicate]]:
    return TRANSFORMATIONS if kind == "transformation" else PREDICATES


def plugin_names(kind: Kind) -> list[str]:
    """The names of the plugins installed for `kind` (entry points), without loading them."""
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUPS[kind])})


def find_class(kind: Kind, name: str) -> type[Transformation] | type[Predicate]:
    """The class `name` denotes; raises LookupError with Connect's wording and what to do."""
    base: type[Transformation] | type[Predicate] = Transformation if kind == "transformation" else Predicate
    known = builtins(kind)
    if name in known:
        return known[name]
    for package, names in CONNECT_PACKAGES.items():
        short = name.removeprefix(package)
        if name.startswith(package) and short in names and short in known:
            return known[short]
    candidate = _from_entry_point(kind, name)
    if candidate is None and ("." in name or ":" in name):
        candidate = _from_dotted_path(name)
    if candidate is None:
        raise LookupError(_not_found(kind, name))
    if not (isinstance(candidate, type) and issubclass(candidate, base)):
        other: Kind = "predicate" if kind == "transformation" else "transformation"
        hint = f" (it is a {other}; declare it under {other}s)" if _is_a(candidate, other) else ""
        raise LookupError(f"Not a {base.__name__}{hint}: {name} must be a subclass of transforms.{base.__name__}")
    return candidate


def _is_a(candidate: object, kind: Kind) -> bool:
    base = Transformation if kind == "transformation" else Predicate
    return isinstance(candidate, type) and issubclass(candidate, base)


def _from_entry_point(kind: Kind, name: str) -> object | None:
    matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUPS[kind]) if ep.name == name]
    if not matches:
        return None
    try:
        loaded: object = matches[0].load()
    except Exception as exc:  # a broken plugin must become a config error, whatever it raises
        raise LookupError(
            f"Class {name} could not be loaded: the plugin's entry point {matches[0].value} "
            f"(group {ENTRY_POINT_GROUPS[kind]}) raised {type(exc).__name__}: {exc}"
        ) from None
    return loaded


def _from_dotted_path(name: str) -> object | None:
    module_name, _, attribute = name.rpartition(":") if ":" in name else name.rpartition(".")
    if not module_name or not attribute:
        return None
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            return None  # the module doesn't exist: "could not be found", with suggestions
        raise LookupError(f"Class {name} could not be loaded: importing {module_name} failed: {exc}") from None
    except Exception as exc:  # a module that fails to import must become a config error, whatever it raises
        raise LookupError(
            f"Class {name} could not be loaded: importing {module_name} raised {type(exc).__name__}: {exc}"
        ) from None
    found: object | None = getattr(module, attribute, None)
    return found


def _not_found(kind: Kind, name: str) -> str:
    names = sorted({*builtins(kind), *plugin_names(kind)})
    close = closest(name, names, cutoff=0.5)
    by_case = [n for n in names if n.lower() == name.lower() and n not in close]
    close = by_case + close
    message = f"Class {name} could not be found."
    if close:
        return message + " Did you mean " + " or ".join(close) + "?"
    return (
        message + f" Known {kind}s: {', '.join(names)}; or give a plugin's entry point name "
        f"(group {ENTRY_POINT_GROUPS[kind]}) or a dotted path such as my_package.module.MyClass."
    )
