"""The running configuration, changed live: a refresh (POST /actuator/refresh, or the chain file watcher)
re-reads everything as a start would, checks it, refuses what needs a restart, and swaps the new chain in
for the pump and /route between two batches; a validation (POST /actuator/validate) checks properties
against it without applying them.

Only the routing chain's stages change live: transforms.* and predicates.*, from the chain file or the
properties. Everything else is read once, at start: the pump has joined its group, bound its topics and
provisioned the dead letter topic with it, so changing it is refused with a message that says to restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, NoReturn

from prometheus_client import CollectorRegistry, Counter, Gauge

from python_router.settings import Settings
from sidecar.chain import ChainVersion
from spring_properties import Problems, SettingsError, mask_value, relaxed
from transforms import Chain
from transforms.errors import ConfigError

if TYPE_CHECKING:
    from python_router.app import RouterApp

log = logging.getLogger("python_router")

# Keys a refresh may change: the chain's stages. `errors.*` is the chain's too, but the pump reads it at start.
LIVE_SECTIONS: Final = ("transforms", "predicates")
# Keys python-router reads once, at start; any other key (logging.*, info.*) is not the app's, and changes freely.
START_ONLY_SECTIONS: Final = (
    "errors",
    "router",
    "server",
    "management",
    "spring.cloud.stream",
    "spring.cloud.dataflow",
    "spring.cloud.application",
    "spring.application",
    "spring.config",
)

SwapChain = Callable[[Chain, ChainVersion], object]
Configure = Callable[[Sequence[str], Mapping[str, str]], "RouterApp"]


class ReloadMetrics:
    """The refreshes, by outcome, and the running chain's version."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.refreshes = Counter(
            "python_router_config_refreshes",
            "Configuration refreshes (/actuator/refresh, chain file changes) by outcome: reloaded, unchanged, refused.",
            ["outcome"],
            registry=registry,
        )
        self.chain_version = Gauge(
            "python_router_chain_version", "The running chain's version: 1 at start, +1 per reload.", registry=registry
        )
        self.chain_version.set(1)


class LiveConfig:
    """The app's configuration as it runs, with `refresh` and `validate` (sidecar.LiveConfiguration).

    `configure` is RouterApp.configure, the start's own collection pass. `swaps` are called, in order, with
    each new chain: the pump's classifier holder and the sidecar's state.
    """

    def __init__(
        self, running: RouterApp, configure: Configure, registry: CollectorRegistry, swaps: Sequence[SwapChain] = ()
    ) -> None:
        self._running = running
        self._configure = configure
        self._swaps = list(swaps)
        self._lock = threading.Lock()
        self.version = ChainVersion(1, datetime.now(UTC))
        self._metrics = ReloadMetrics(registry)

    @property
    def running(self) -> RouterApp:
        return self._running

    def add_swap(self, swap: SwapChain) -> None:
        self._swaps.append(swap)

    def refresh(self) -> list[str]:
        """Re-read and check the configuration; swap the chain when it changed. The keys that changed, sorted;
        ConfigError listing every problem (the running chain stays)."""
        with self._lock:
            old = self._running
            try:
                new = self._configure(old.argv, old.environ)
            except ConfigError as error:
                # Also name the start-only keys that changed, read from the properties alone.
                properties = Settings.read(old.argv, old.environ, Problems())
                moved = _start_only(_changed(old.settings.raw, properties.raw))
                self._refuse([*error.problems, *(old.settings.scrub(properties.scrub(p)) for p in moved)])
            changed = _changed_keys(old, new)
            moved = _start_only(changed)
            if moved:
                self._refuse([old.settings.scrub(new.settings.scrub(p)) for p in moved])
            if not changed:
                self._metrics.refreshes.labels("unchanged").inc()
                log.info("Refresh: nothing changed (chain version %d)", self.version.number)
                return []
            keys = sorted(changed)
            if new.chain_properties != old.chain_properties:
                self._swap(new.chain)
            self._running = new
            self._metrics.refreshes.labels("reloaded").inc()
            log.info("Refresh: chain version %d from %s; changed keys: %s", self.version.number,
                     new.settings.chain_location, ", ".join(keys))  # fmt: skip
            return keys

    def validate(self, properties: Mapping[str, str]) -> Mapping[str, object]:
        """What would run with `properties` laid over the running app's (as command-line arguments, the
        highest precedence); ConfigError listing every problem. Changes nothing."""
        running = self._running
        overridden = {relaxed(key) for key in properties}
        kept = [a for a in running.argv if relaxed(a.removeprefix("--").partition("=")[0]) not in overridden]
        arguments = [*kept, *(f"--{key}={value}" for key, value in properties.items())]
        return {"status": "valid", **self._configure(arguments, running.environ).summary()}

    def _refuse(self, problems: Sequence[str]) -> NoReturn:
        self._metrics.refreshes.labels("refused").inc()
        for problem in problems:
            log.error("Refresh refused, the running chain (version %d) stays: %s", self.version.number, problem)
        raise SettingsError(problems)

    def _swap(self, chain: Chain) -> None:
        self.version = ChainVersion(self.version.number + 1, datetime.now(UTC))
        for swap in self._swaps:
            swap(chain, self.version)
        self._metrics.chain_version.set(self.version.number)


def _changed_keys(old: RouterApp, new: RouterApp) -> dict[str, tuple[str | None, str | None]]:
    """Every key whose value differs between the two: the properties as resolved, and the chain's own keys
    (the chain file's, with the properties laid over them). Key -> (old value, new value)."""
    return {
        **_changed(old.settings.raw, new.settings.raw),
        **_changed(old.chain_properties, new.chain_properties),
    }


def _changed(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, tuple[str | None, str | None]]:
    """Key -> (old value, new value) of each key whose value differs, names compared as Spring binds them."""
    relaxed_before = {relaxed(k): (k, v) for k, v in before.items()}
    relaxed_after = {relaxed(k): (k, v) for k, v in after.items()}
    changed: dict[str, tuple[str | None, str | None]] = {}
    for name in relaxed_before.keys() | relaxed_after.keys():
        was, now = relaxed_before.get(name), relaxed_after.get(name)
        values = (was[1] if was else None, now[1] if now else None)
        if values[0] != values[1]:
            changed[(now or was or (name, ""))[0]] = values
    return changed


def _start_only(changed: Mapping[str, tuple[str | None, str | None]]) -> list[str]:
    """A problem for each changed key that is read only at start, saying to restart."""
    heads = tuple(relaxed(s) for s in START_ONLY_SECTIONS)
    live = tuple(relaxed(s) for s in LIVE_SECTIONS)
    problems = []
    for key in sorted(changed):
        name = relaxed(key)
        if any(name == head or name.startswith(head + ".") for head in live):
            continue
        if not any(name == head or name.startswith(head + ".") for head in heads):
            continue
        was, now = (_shown(key, v) for v in changed[key])
        problems.append(
            f"{key} changed from {was} to {now}, but it is read once, at start: restart the app to apply it "
            f"(SCDF: stream update or redeploy). Only transforms.* and predicates.* change live."
        )
    return problems


def _shown(key: str, value: str | None) -> str:
    return "(unset)" if value is None else str(mask_value(key, value))
