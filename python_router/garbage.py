"""The garbage collector, set for a process that works in batches (the pump's polls, the sidecar's
/route/batch requests).

Each batch allocates thousands of container objects (records, header lists, the producer's per-record
state) that live until the batch is acknowledged, and reference counting frees them: the hot path makes no
reference cycles. With CPython's default thresholds (a young collection every 700 allocations) the collector
runs several times a batch, finds nothing to free, and promotes the live batch to older generations, which it
then scans again; measured on the recipe's payload, that was about a quarter of the pump's CPU per record on
librdkafka and a fifth on kafka-python (docs/benchmarks.md).

So, once the app is configured: everything built at startup (modules, settings, the chain) is frozen out of
the collector's sight (gc.freeze), and a young collection waits for YOUNG_THRESHOLD allocations. Cycles are
still collected, only less often; the memory this can hold back is bounded by the threshold.
"""

from __future__ import annotations

import gc
from typing import Final

YOUNG_THRESHOLD: Final = 20_000  # allocations between young collections (CPython's default: 700)
OLDER_THRESHOLD: Final = 20  # young (then middle) collections between collections of the next generation


def tune_for_batches() -> None:
    """Freeze what exists now, and collect the young generation every YOUNG_THRESHOLD allocations."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)
