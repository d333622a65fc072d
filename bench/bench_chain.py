"""The recipe's chain (connect-config/router.properties) in-process, in records per second on one core.

.venv/bin/python bench/bench_chain.py                 # 200,000 records, best of 5 runs
.venv/bin/python bench/bench_chain.py --records 1000000 --runs 3 --json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from transforms import Chain, Record, build_chain, parse_properties

ROOT = Path(__file__).resolve().parent.parent
BINDINGS = {"input": "timeDest", "even": "evenDest", "odd": "oddDest"}
GOAL = 200_000  # records/s on one core, issue 3


def recipe_records(count: int) -> list[Record]:
    """What the SCDF time source writes: one `MM/dd/yy HH:mm:ss` text per second, on the input topic."""
    start = datetime(2019, 5, 17, 17, 56, 36, tzinfo=UTC)
    texts = [(start + timedelta(seconds=i)).strftime("%m/%d/%y %H:%M:%S").encode() for i in range(86_400)]
    return [
        Record(topic="timeDest", value=texts[i % len(texts)], partition=0, offset=i, timestamp=1558115796000 + i)
        for i in range(count)
    ]


def run_once(chain: Chain, records: list[Record]) -> tuple[float, float]:
    """CPU and wall seconds to apply the chain to every record (the results are kept, as a consumer would).

    The CPU time is what one core spends, whatever else the machine runs; the wall time also counts the
    moments other processes held the core.
    """
    apply = chain.apply
    gc.collect()
    gc.disable()  # the collector's pauses are the allocator's business, not the chain's
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        results = [apply(record) for record in records]
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        gc.enable()
    assert len(results) == len(records) and all(r is not None for r in results)
    return cpu, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000, help="records per run (default 200000)")
    parser.add_argument("--runs", type=int, default=5, help="runs; the best one is reported (default 5)")
    parser.add_argument("--config", type=Path, default=ROOT / "connect-config" / "router.properties")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    if args.records < 1 or args.runs < 1:
        parser.error("--records and --runs must be at least 1")

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the goal says
    chain = build_chain(parse_properties(args.config.read_text(encoding="utf-8")), bindings=BINDINGS, env={})
    records = recipe_records(args.records)
    run_once(chain, records[: min(len(records), 10_000)])  # warm up
    timings = [run_once(chain, records) for _ in range(args.runs)]
    best = min(cpu for cpu, _ in timings)
    rate = args.records / best
    result = {
        "benchmark": "chain.apply, recipe chain in-process",
        "config": str(args.config.relative_to(ROOT) if args.config.is_relative_to(ROOT) else args.config),
        "records": args.records,
        "runs": args.runs,
        "records_per_second": round(rate),
        "microseconds_per_record": round(best / args.records * 1e6, 3),
        "median_records_per_second": round(args.records / sorted(cpu for cpu, _ in timings)[len(timings) // 2]),
        "wall_records_per_second": round(args.records / min(wall for _, wall in timings)),
        "goal_records_per_second": GOAL,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    if args.json:
        print(json.dumps(result))
    else:
        verdict = "meets" if rate >= GOAL else "MISSES"
        print(
            f"{result['config']}: {rate:,.0f} records/s of one core's CPU time "
            f"({result['microseconds_per_record']} us/record; wall clock {result['wall_records_per_second']:,}/s), "
            f"best of {args.runs} runs of {args.records:,} records; {verdict} the goal of {GOAL:,}/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
