"""The reference of every built-in, generated from the declared specs so it cannot drift from the code.

python -m transforms.docs                          # print the Markdown
python -m transforms.docs --write docs/transforms.md
python -m transforms.docs --check docs/transforms.md   # exit 1 if the file is stale
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from transforms.builtin import PREDICATES, TRANSFORMATIONS
from transforms.config import ConfigKey, ConfigSpec, show
from transforms.error_policy import ErrorPolicy
from transforms.plugin import Predicate, Transformation
from transforms.registry import ENTRY_POINT_GROUPS

COMMAND = "python -m transforms.docs --write docs/transforms.md"

# The chain's own keys (key, type, default, valid values, description): the reference's first table, and
# SCDF's configuration metadata (python_router/scdf_metadata.py).
CHAIN_KEYS = (
    ("`transforms`", "list", '`""`', "unique aliases", "Aliases of the transformations, applied in this order."),
    ("`transforms.<alias>.type`", "string", "required", "a built-in, a plugin or a dotted path",
     "The transformation: a built-in's name (or its Kafka Connect class name), the name of a plugin installed "
     f"under the entry point group `{ENTRY_POINT_GROUPS['transformation']}`, or a dotted path "
     "(`my_package.module.MyTransform`)."),
    ("`transforms.<alias>.predicate`", "string", '`""`', "an alias in `predicates`",
     "The predicate that decides whether the transformation applies to a record."),
    ("`transforms.<alias>.negate`", "boolean", "`false`", "",
     "Apply the transformation when the predicate is false instead. Needs `predicate`."),
    ("`predicates`", "list", '`""`', "unique aliases", "Aliases of the predicates the transformations use."),
    ("`predicates.<alias>.type`", "string", "required", "a built-in, a plugin or a dotted path",
     f"The predicate, as for `transforms.<alias>.type` (entry point group `{ENTRY_POINT_GROUPS['predicate']}`)."),
)  # fmt: skip


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _default(key: ConfigKey) -> str:
    if key.required:
        return "required"
    text = ",".join(key.default) if isinstance(key.default, tuple) else show(key.default)
    return f"`{text}`" if text else '`""`'


def _rows(rows: Iterable[tuple[str, str, str, str, str]]) -> list[str]:
    lines = ["| Key | Type | Default | Valid values | Description |", "| --- | --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _spec_table(spec: ConfigSpec, prefix: str = "") -> list[str]:
    if not spec.keys:
        return ["No configuration."]
    return _rows(
        (
            f"`{prefix}{key.name}`",
            key.type.value,
            _default(key),
            key.validator.describe() if key.validator is not None else "",
            key.doc,
        )
        for key in spec.keys
    )


def _plugins(title: str, plugins: Mapping[str, type[Transformation] | type[Predicate]]) -> list[str]:
    lines = [f"## {title}", ""]
    for name in sorted(plugins):
        cls = plugins[name]
        lines += [f"### {name}", "", inspect.cleandoc(cls.__doc__ or ""), ""]
        lines += [*_spec_table(cls.CONFIG), ""]
    return lines


def markdown() -> str:
    """The whole reference, deterministic for a given code base."""
    names = ", ".join(f"`{n}`" for n in sorted(TRANSFORMATIONS))
    predicate_names = ", ".join(f"`{n}`" for n in sorted(PREDICATES))
    lines = [
        "# Transforms reference",
        "",
        f"<!-- Generated from the specs in transforms/ by `{COMMAND}`. Do not edit by hand. -->",
        "",
        f"Transformations: {names}. Predicates: {predicate_names}.",
        "",
        "A key of a transformation is written `transforms.<alias>.<key>`, one of a predicate "
        "`predicates.<alias>.<key>`. String values are trimmed, as Kafka Connect trims them. Any value may "
        "use the config providers `${env:NAME}`, `${file:<path>:<key>}` and `${binding:<name>}`.",
        "",
        "## The chain",
        "",
        *_rows(CHAIN_KEYS),
        "",
        *_plugins("Transformations", TRANSFORMATIONS),
        *_plugins("Predicates", PREDICATES),
        "## Error handling",
        "",
        inspect.cleandoc(ErrorPolicy.__doc__ or "").split("\n\n")[0],
        "",
        *_spec_table(ErrorPolicy.SPEC),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m transforms.docs", description="Reference of the built-ins.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", type=Path, metavar="PATH", help="write the Markdown to PATH")
    group.add_argument("--check", type=Path, metavar="PATH", help="exit 1 unless PATH holds the current Markdown")
    args = parser.parse_args(argv)
    text = markdown()
    if args.write is not None:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text, encoding="utf-8")
    elif args.check is not None:
        current = args.check.read_text(encoding="utf-8") if args.check.exists() else ""
        if current != text:
            print(f"{args.check} is stale: regenerate it with `{COMMAND}`", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
