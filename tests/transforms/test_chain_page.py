"""The examples in docs/chain.md are true: its Python runs, its properties (and README.md's) are the default
chain, its error text is real."""

from __future__ import annotations

import os

import pytest

from tests.docs_pages import ROOT, code_blocks, page, section
from transforms import ConfigError, Record, build_chain


def blocks(language: str) -> list[str]:
    return code_blocks(page("docs/chain.md"), language)


def test_python_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    for block in blocks("python"):
        exec(compile(block, "docs/chain.md", "exec"), namespace)  # the page's own examples
    prefix = namespace["Prefix"]
    built = prefix(prefix.CONFIG.validate({"prefix": "pre-"})[0])  # type: ignore[attr-defined, operator]
    assert built.apply(Record(topic="t", value=b"v")) == Record(topic="t", value=b"pre-v")


@pytest.mark.parametrize(
    "shown", [page("docs/chain.md"), section("README.md", "The routing rule is configuration")], ids=["docs", "README"]
)
def test_properties_example_is_the_default_chain(shown: str) -> None:
    (example,) = code_blocks(shown, "properties")
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
