"""The pump's Prometheus metrics, registered in the registry the sidecar's /actuator/prometheus serves."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# A batch of 500 takes tens of milliseconds when all is well, seconds when the broker is slow.
_BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)


class PumpMetrics:
    """Counters, histograms and the lag gauge of one pump."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.consumed = Counter(
            "python_router_records_consumed",
            "Records read from the input topic, each once: a batch polled again after a retry is not counted again.",
            registry=registry,
        )
        self.produced = Counter(
            "python_router_records_produced",
            "Records the broker acknowledged on an output topic: every write, including a record written again "
            "after a retry (at-least-once duplicates).",
            ["destination"],
            registry=registry,
        )
        self.dropped = Counter(
            "python_router_records_dropped", "Records the chain dropped (nothing produced).", registry=registry
        )
        self.failed = Counter(
            "python_router_records_failed",
            "Records a stage failed on (dead-lettered, skipped, or stopped at, per errors.tolerance), each once: "
            "retries of its batch are not counted again.",
            registry=registry,
        )
        self.dead_lettered = Counter(
            "python_router_records_dead_lettered",
            "Failed records the broker acknowledged on the dead-letter topic: every write, like produced.",
            registry=registry,
        )
        self.retries = Counter(
            "python_router_batch_retries",
            "Batches rewound and retried because the broker or the sidecar was unavailable.",
            ["cause"],
            registry=registry,
        )
        self.batch_duration = Histogram(
            "python_router_batch_duration_seconds",
            "Time from a poll's return to the batch's commit.",
            buckets=_BATCH_BUCKETS,
            registry=registry,
        )
        self.commit_duration = Histogram(
            "python_router_commit_duration_seconds",
            "Time the broker took to accept an offset commit.",
            buckets=_COMMIT_BUCKETS,
            registry=registry,
        )
        self.lag = Gauge(
            "python_router_consumer_lag",
            "Records on the input partition not yet consumed (high watermark - position).",
            ["topic", "partition"],
            registry=registry,
        )
        self._lag_labels: set[tuple[str, str]] = set()

    def set_lag(self, lags: Iterable[tuple[str, int, int]]) -> None:
        """Set the gauge to `(topic, partition, lag)` for the partitions held, and drop the others."""
        current: set[tuple[str, str]] = set()
        for topic, partition, lag in lags:
            labels = (topic, str(partition))
            self.lag.labels(*labels).set(lag)
            current.add(labels)
        for labels in self._lag_labels - current:
            self.lag.remove(*labels)
        self._lag_labels = current
