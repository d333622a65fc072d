"""What the sidecar's tests share: the default chain and app info, a fake pump probe, loopback settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sidecar import AppInfo, PumpProbe, SidecarSettings
from transforms import Chain, build_chain, parse_properties

ROOT = Path(__file__).resolve().parents[2]
BINDINGS = {"input": "timeDest", "even": "evenDest", "odd": "oddDest"}
INFO = AppInfo(
    stream_name="timeStream",
    app_label="python-router",
    bindings=BINDINGS,
    details={"kafka": {"brokers": "localhost:9092", "sasl.jaas.config": "user=u password=p"}},
)


def default_chain(overrides: Mapping[str, str] | None = None) -> Chain:
    """The chain the app runs by default (connect-config/router.properties), with `overrides` applied."""
    properties = parse_properties((ROOT / "connect-config" / "router.properties").read_text())
    properties.update(overrides or {})
    return build_chain(properties, bindings=BINDINGS)


@dataclass
class FakeProbe:
    """A consume loop's health, set by the test (see sidecar.PumpProbe)."""

    is_ready: bool = False
    idle_s: float | None = None
    components: dict[str, Mapping[str, object]] = field(
        default_factory=lambda: {"kafka": {"status": "UP", "details": {"brokers": "127.0.0.1:9092"}}}
    )
    broken: bool = False

    def health_components(self) -> Mapping[str, Mapping[str, object]]:
        if self.broken:
            raise RuntimeError("probe broke")
        return self.components

    def ready(self) -> bool:
        if self.broken:
            raise RuntimeError("probe broke")
        return self.is_ready

    def seconds_since_progress(self) -> float | None:
        if self.broken:
            raise RuntimeError("probe broke")
        return self.idle_s


def _probe_type_check(probe: FakeProbe) -> PumpProbe:
    return probe  # mypy: FakeProbe fits the Protocol the pump implements


LOOPBACK = SidecarSettings(host="127.0.0.1", port=0)
