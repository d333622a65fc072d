"""What the endpoints share: the current chain, the app's info, the health checks, the settings."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from .chain import ChainVersion, RoutingChain, dead_letter_topic
from .health import Health
from .info import AppInfo, info_document
from .probe import PumpProbe
from .reconfigure import LiveConfiguration
from .settings import SidecarSettings


class SidecarState:
    """Held in `app.state.sidecar`. The chain may arrive after the app (readiness waits for it) and may be
    replaced; everything derived from it is recomputed then, never per request."""

    def __init__(
        self,
        chain: RoutingChain | None,
        info: AppInfo,
        settings: SidecarSettings,
        probe: PumpProbe | None,
    ) -> None:
        self.info = info
        self.settings = settings
        self.probe = probe
        self.health = Health(lambda: self.chain, probe, settings.liveness_timeout_s)
        self.info_json = b""
        self.bindings_json = orjson.dumps(dict(info.bindings))
        self.version: ChainVersion | None = None
        self.live: LiveConfiguration | None = None  # refresh and validate, when the entry point offers them
        # The chain and its dead-letter topic, swapped as one attribute: a request reads one consistent pair
        # even while another thread replaces the chain.
        self.routing: tuple[RoutingChain, str | None] | None = None
        self.set_chain(chain)

    @property
    def chain(self) -> RoutingChain | None:
        routing = self.routing
        return routing[0] if routing is not None else None

    def set_chain(self, chain: RoutingChain | None, version: ChainVersion | None = None) -> None:
        """Load or replace the chain; `version` defaults to the next number, loaded now."""
        if chain is not None and version is None:
            previous = self.version.number if self.version is not None else 0
            version = ChainVersion(previous + 1, datetime.now(UTC))
        # default=str: a detail the caller gave as some other object is shown as its text, not a crash.
        self.info_json = orjson.dumps(info_document(self.info, chain, version), default=str)
        self.version = version
        self.routing = (chain, dead_letter_topic(chain)) if chain is not None else None

    @property
    def input_topic(self) -> str | None:
        """The input binding's destination: the topic of a /route record that names none."""
        return self.info.bindings.get("input")
