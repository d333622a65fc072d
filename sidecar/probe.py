"""What the sidecar asks of a consume loop (the pump) to answer health, liveness and readiness."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class PumpProbe(Protocol):
    """A consume loop's health, as the actuator sees it. The pump implements it structurally: it does not
    import sidecar, it only has these three methods.

    The sidecar calls them on its HTTP event loop, on every health request (k8s probes: every few seconds),
    while the loop runs in its own thread. So each must:
    - answer at once: read state the loop keeps up to date (plain attribute reads are atomic under the GIL);
      never poll Kafka, take a lock the loop holds across a poll, or do I/O;
    - not raise: if one does, the sidecar reports the consume loop DOWN (liveness included), with the
      exception's class, because a probe that cannot answer is no proof of life.
    """

    def health_components(self) -> Mapping[str, Mapping[str, object]]:
        """Components for /actuator/health, by name, each Spring-shaped:
        `{"status": "UP" | "DOWN" | "OUT_OF_SERVICE" | "UNKNOWN", "details": {...}}`.

        For example `{"kafka": {"status": "UP", "details": {"brokers": "localhost:9092"}},
        "consumer": {"status": "UP", "details": {"group": "router", "assignment": ["timeDest-0"]}}}`.
        Any component not UP turns the overall health DOWN (or OUT_OF_SERVICE) and answers 503.
        Detail keys that name a secret (password, jaas, key, ...) are masked by the sidecar anyway.
        Names `chain`, `livenessState` and `readinessState` are the sidecar's own: do not use them.
        """
        ...

    def ready(self) -> bool:
        """True once the consumer has joined its group and received its assignment, and as long as it
        keeps one: readiness (`/actuator/health/readiness`) is OUT_OF_SERVICE, HTTP 503, until then.

        An empty assignment counts as ready: with more replicas than partitions some consumers get none,
        and they must not be taken for broken. During a rebalance (partitions revoked, not yet
        reassigned) answer False. After the loop has stopped for good (shutdown), answer False.
        """
        ...

    def seconds_since_progress(self) -> float | None:
        """Seconds since the consume loop last made progress, or None when it has not started yet.

        Progress is a completed turn of the loop: a poll that returned, even with no records (an idle
        input is not a stuck loop), followed by the produce/flush/commit of what it returned. A loop
        blocked in a flush against an unreachable broker, or in a transform that never returns, makes no
        progress. Liveness (`/actuator/health/liveness`, and so `/actuator/health`) goes DOWN once this
        exceeds `router.liveness.timeout` (default 60s), so Kubernetes restarts the pod.
        Use a monotonic clock (time.monotonic()).
        """
        ...
