"""One throughput trial of a router variant: route a pre-loaded topic with a new group, clocked from the outside."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.routers import RouterError, RouterProcess, start_router
from bench.workload import OffsetWatcher, Topics

POLL_S = 0.02  # how often the output topics' end offsets are read: the clock's resolution
START_TIMEOUT_S = 90.0  # process start, imports, group join and the first routed batch
STALL_TIMEOUT_S = 60.0  # no new output for this long means the router is stuck


@dataclass(frozen=True)
class Trial:
    """A measured run. Rate and CPU cover the window from the first routed output to the last one."""

    records_per_s: float
    cpu_s_per_million: float | None  # None: not measured (Kafka's Java tools)
    peak_rss_mib: float | None
    seconds: float
    records: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "records_per_s": round(self.records_per_s, 1),
            "cpu_s_per_million": None if self.cpu_s_per_million is None else round(self.cpu_s_per_million, 2),
            "peak_rss_mib": None if self.peak_rss_mib is None else round(self.peak_rss_mib, 1),
            "seconds": round(self.seconds, 3),
            "records": self.records,
        }


def measure_router(
    variant: str, bootstrap: str, topics: Topics, count: int, log_dir: Path, properties: Sequence[str] = ()
) -> Trial:
    """Start `variant` on `topics.input` (holding `count` records) and time it until all are routed.

    The clock starts at the first output seen (so process start-up and the group join are not counted) and
    stops when the even and odd topics have grown by `count`; CPU is read from /proc at the same two moments.
    `properties` (`--key=value`) change the pump's settings.
    """
    watcher = OffsetWatcher(bootstrap, topics.outputs)
    try:
        before = watcher.total()
        group = f"bench-{variant}-{uuid.uuid4().hex[:8]}"
        router = start_router(variant, bootstrap, topics, group, log_dir, properties=properties)
        try:
            return _clock(router, watcher, before, count)
        finally:
            router.stop()
    finally:
        watcher.close()


def _clock(router: RouterProcess, watcher: OffsetWatcher, before: int, count: int) -> Trial:
    deadline = time.monotonic() + START_TIMEOUT_S
    while (routed := watcher.total() - before) == 0:
        router.check_alive()
        if time.monotonic() > deadline:
            raise RouterError(
                f"The {router.variant} router routed nothing within {START_TIMEOUT_S:.0f}s of starting; "
                f"see {router.logs[-1]}"
            )
        time.sleep(POLL_S)
    started, first, start_cost = time.monotonic(), routed, router.cost()
    last_progress, last_routed = started, routed
    while routed < count:
        time.sleep(POLL_S)
        routed = watcher.total() - before
        now = time.monotonic()
        if routed > last_routed:
            last_progress, last_routed = now, routed
        elif now - last_progress > STALL_TIMEOUT_S:
            raise RouterError(
                f"The {router.variant} router stopped at {routed} of {count} records for {STALL_TIMEOUT_S:.0f}s; "
                f"see {router.logs[-1]}"
            )
    finished, end_cost = time.monotonic(), router.cost()
    measured = routed - first
    if measured <= 0:
        raise RouterError(
            f"The {router.variant} router routed all {count} records in its first batch, so no rate can be "
            "measured: run with more records (--records)."
        )
    elapsed = finished - started
    return Trial(
        records_per_s=measured / elapsed,
        cpu_s_per_million=(end_cost.cpu_seconds - start_cost.cpu_seconds) / measured * 1e6,
        peak_rss_mib=end_cost.peak_rss_mib,
        seconds=elapsed,
        records=measured,
    )
