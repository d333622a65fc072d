"""The examples in README.md's `transforms` section are true: its Python runs, its error text is real."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from transforms import ConfigError, Record, build_chain

ROOT = Path(__file__).resolve().parents[2]
SECTION = re.search(
    r"<!-- section:transforms:begin -->(.*)<!-- section:transforms:end -->",
    (ROOT / "README.md").read_text(encoding="utf-8"),
    re.S,
)


def blocks(language: str) -> list[str]:
    assert SECTION is not None, "README.md lost its transforms section markers"
    return [body for lang, body in re.findall(r"```(\w*)\n(.*?)```", SECTION.group(1), re.S) if lang == language]


def test_python_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    for block in blocks("python"):
        exec(compile(block, "README.md", "exec"), namespace)  # the README's own examples
    prefix = namespace["Prefix"]
    built = prefix(prefix.CONFIG.validate({"prefix": "pre-"})[0])  # type: ignore[attr-defined, operator]
    assert built.apply(Record(topic="t", value=b"v")) == Record(topic="t", value=b"pre-v")


def test_properties_example_is_the_default_chain() -> None:
    (example,) = blocks("properties")
    lines = [line for line in example.splitlines() if line]
    router = (ROOT / "connect-config" / "router.properties").read_text(encoding="utf-8").splitlines()
    assert all(line in router for line in lines)


def test_error_example_is_what_build_chain_says() -> None:
    (example,) = [block for block in blocks("") if block.startswith("Configuration has")]
    with pytest.raises(ConfigError) as caught:
        build_chain(
            {
                "transforms": "parity,route",
                "transforms.parity.type": "TimestampParityRouter",
                "transforms.parity.even.topic": "evenDest",
                "transforms.parity.unit": "fortnights",
                "transforms.route.type": "RegexRouters",
            },
            env=dict(os.environ),
        )
    assert str(caught.value) + "\n" == example
