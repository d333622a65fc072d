"""Builds a chain of one stage from a type name and its keys, so each test case fits on one line."""

from __future__ import annotations

from collections.abc import Mapping

from transforms import Chain, ConfigError, Record, build_chain

BINDINGS = {"input": "timeDest", "even": "evenDest", "odd": "oddDest"}


def record(value: bytes | None = b"v", topic: str = "timeDest", **fields: object) -> Record:
    return Record(topic=topic, value=value, **fields)  # type: ignore[arg-type]


def chain_of(type_name: str, config: Mapping[str, str] | None = None, alias: str = "t") -> Chain:
    properties = {"transforms": alias, f"transforms.{alias}.type": type_name}
    properties.update({f"transforms.{alias}.{key}": value for key, value in (config or {}).items()})
    return build_chain(properties, bindings=BINDINGS, env={})


def transform(type_name: str, config: Mapping[str, str] | None, rec: Record) -> Record | None:
    return chain_of(type_name, config).apply(rec)


def holds(type_name: str, config: Mapping[str, str] | None, rec: Record) -> bool:
    """Whether predicate `type_name` is true for `rec` (a Filter guarded by it drops the record)."""
    properties = {
        "transforms": "f",
        "transforms.f.type": "Filter",
        "transforms.f.predicate": "p",
        "predicates": "p",
        "predicates.p.type": type_name,
    }
    properties.update({f"predicates.p.{key}": value for key, value in (config or {}).items()})
    return build_chain(properties, env={}).apply(rec) is None


def problems(properties: Mapping[str, str], **kwargs: object) -> list[str]:
    """The problems build_chain reports for `properties` (an empty list when it builds)."""
    try:
        build_chain(properties, **kwargs)  # type: ignore[arg-type]
    except ConfigError as exc:
        return list(exc.problems)
    return []


def stage_problems(type_name: str, config: Mapping[str, str] | None = None, kind: str = "transforms") -> list[str]:
    """The problems of one transformation (kind="transforms") or predicate (kind="predicates") as alias `a`."""
    properties = {kind: "a", f"{kind}.a.type": type_name}
    properties.update({f"{kind}.a.{key}": value for key, value in (config or {}).items()})
    return problems(properties, bindings=BINDINGS, env={})
