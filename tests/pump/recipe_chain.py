"""The recipe's chain (connect-config/router.properties) over timeDest -> evenDest / oddDest, for unit tests."""

from __future__ import annotations

from pathlib import Path

from transforms import Chain, build_chain, parse_properties

ROOT = Path(__file__).resolve().parents[2]
ROUTER_PROPERTIES = parse_properties((ROOT / "connect-config" / "router.properties").read_text())
BINDINGS = {"input": "timeDest", "even": "evenDest", "odd": "oddDest"}


def router(**overrides: str) -> Chain:
    """The chain, with overrides such as `errors_tolerance="none"` (underscores stand for dots)."""
    properties = {**ROUTER_PROPERTIES, **{key.replace("_", "."): value for key, value in overrides.items()}}
    return build_chain(properties, bindings=BINDINGS)
