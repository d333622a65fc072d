"""Health as Spring Boot reports it: components, an aggregate status, and the liveness and readiness groups."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from spring_properties import mask_secrets

from .chain import RoutingChain, dead_letter_topic
from .probe import PumpProbe
from .settings import LIVENESS_TIMEOUT

UP: Final = "UP"
DOWN: Final = "DOWN"
OUT_OF_SERVICE: Final = "OUT_OF_SERVICE"
UNKNOWN: Final = "UNKNOWN"

# Spring's SimpleStatusAggregator: the first of these present among the components is the aggregate.
_SEVERITY: Final = (DOWN, OUT_OF_SERVICE, UP, UNKNOWN)
GROUPS: Final = ("liveness", "readiness")
GROUP_MEMBERS: Final = {"liveness": "livenessState", "readiness": "readinessState"}
_OWN_COMPONENTS: Final = frozenset({"chain", "livenessState", "readinessState"})

Component = dict[str, object]


def aggregate(statuses: list[str]) -> str:
    """The overall status of components with `statuses` (UNKNOWN when there are none)."""
    present = set(statuses)
    return next((status for status in _SEVERITY if status in present), UNKNOWN)


def http_status(status: str) -> int:
    """Spring's mapping: DOWN and OUT_OF_SERVICE answer 503 so that probes and load balancers notice."""
    return 503 if status in (DOWN, OUT_OF_SERVICE) else 200


class Health:
    """Computes the health documents on demand from the chain (if loaded) and the pump's probe (if any)."""

    def __init__(
        self,
        chain: Callable[[], RoutingChain | None],
        probe: PumpProbe | None,
        liveness_timeout_s: float,
    ) -> None:
        self._chain = chain
        self._probe = probe
        self._liveness_timeout_s = liveness_timeout_s

    def components(self) -> dict[str, Component]:
        """Every component by name: chain, the probe's (kafka, consumer...), livenessState, readinessState."""
        components: dict[str, Component] = {"chain": self._chain_component()}
        components.update(self._probe_components())
        components["livenessState"] = self.liveness()
        components["readinessState"] = self.readiness()
        return components

    def document(self) -> dict[str, object]:
        """`/actuator/health`."""
        components = self.components()
        status = aggregate([str(c["status"]) for c in components.values()])
        return {"status": status, "components": components, "groups": list(GROUPS)}

    def group(self, name: str) -> dict[str, object]:
        """`/actuator/health/liveness` or `/actuator/health/readiness`."""
        component_name, component = (
            ("livenessState", self.liveness()) if name == "liveness" else ("readinessState", self.readiness())
        )
        return {"status": component["status"], "components": {component_name: component}}

    def liveness(self) -> Component:
        """DOWN when the attached consume loop has made no progress for longer than the timeout."""
        if self._probe is None:
            return {"status": UP}
        try:
            idle = self._probe.seconds_since_progress()
        except Exception as exc:  # a probe that cannot answer is no proof of life (see PumpProbe)
            return {"status": DOWN, "details": {"error": f"{type(exc).__name__}: {exc}"}}
        details: dict[str, object] = {"timeoutSeconds": self._liveness_timeout_s}
        if idle is None:
            details["secondsSinceProgress"] = None
            return {"status": UP, "details": details}
        details["secondsSinceProgress"] = round(idle, 3)
        if idle > self._liveness_timeout_s:
            details["reason"] = (
                f"The consume loop has made no progress for {idle:.0f}s, over {LIVENESS_TIMEOUT} "
                f"({self._liveness_timeout_s:g}s)."
            )
            return {"status": DOWN, "details": details}
        return {"status": UP, "details": details}

    def readiness(self) -> Component:
        """OUT_OF_SERVICE (Spring's REFUSING_TRAFFIC) until the chain is loaded and, with a pump, until the
        consumer has joined its group."""
        if self._chain() is None:
            return {"status": OUT_OF_SERVICE, "details": {"reason": "The routing chain is not loaded yet."}}
        if self._probe is None:
            return {"status": UP}
        try:
            ready = self._probe.ready()
        except Exception as exc:
            return {"status": OUT_OF_SERVICE, "details": {"error": f"{type(exc).__name__}: {exc}"}}
        if not ready:
            return {
                "status": OUT_OF_SERVICE,
                "details": {"reason": "The consumer has not joined its group or has no assignment yet."},
            }
        return {"status": UP}

    def _chain_component(self) -> Component:
        chain = self._chain()
        if chain is None:
            return {"status": OUT_OF_SERVICE, "details": {"reason": "The routing chain is not loaded yet."}}
        return {
            "status": UP,
            "details": {
                "stages": len(chain.stages),
                "errorsTolerance": chain.errors.tolerance,
                "deadLetterTopic": dead_letter_topic(chain),
            },
        }

    def _probe_components(self) -> dict[str, Component]:
        if self._probe is None:
            return {}
        try:
            reported = self._probe.health_components()
        except Exception as exc:
            return {"pump": {"status": DOWN, "details": {"error": f"{type(exc).__name__}: {exc}"}}}
        return {str(name): _component(raw) for name, raw in reported.items() if name not in _OWN_COMPONENTS}


def _component(raw: Mapping[str, object]) -> Component:
    """A probe's component, Spring-shaped whatever it sent: a known status, details masked."""
    status = str(raw.get("status", UNKNOWN)).upper() if isinstance(raw, Mapping) else UNKNOWN
    if status not in _SEVERITY:
        status = UNKNOWN
    component: Component = {"status": status}
    details = raw.get("details") if isinstance(raw, Mapping) else None
    if isinstance(details, Mapping):
        component["details"] = mask_secrets(details)
    return component
