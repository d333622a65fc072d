"""`make bench`: naive loop, pump, pump-remote, java-router and the ceilings side by side on one broker, in one run.

    .venv/bin/python -m bench            # the full run (~10-15 min on 2 cores): 3 runs, both payloads, latency, profile
    .venv/bin/python -m bench --quick    # under 2 minutes: recipe payload only, 1 run, short latency trials
    .venv/bin/python -m bench --help     # every knob (records, runs, variants, an existing broker, ...)

Writes bench/results/bench-<date>.json and .png and prints a table; docs/benchmarks.md explains the method.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from tqdm import tqdm  # type: ignore[import-untyped]

from bench import machine
from bench.ceilings import CEILINGS, ROUTE_OUTPUTS, measure_ceiling
from bench.latency import Latency, measure_latency
from bench.pump_profile import profile_pump
from bench.report import goals, rate, render_table, summarize_throughput, write_chart, write_json
from bench.routers import PUMPS, ROUTERS, pump_missing
from bench.throughput import Trial, measure_router
from bench.workload import PAYLOADS, Topics, create_topics, preload
from scripts.local_kafka import LocalKafka, free_port

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = (*ROUTERS, *CEILINGS)
FULL_RECORDS = {"recipe": 300_000, "1KiB": 60_000}
QUICK_RECORDS = {"recipe": 30_000, "1KiB": 10_000}
LATENCY_VARIANTS = ("naive", *PUMPS, "java-router")
FIXED_LOAD = 1000.0  # records/s, the fixed offered load
MAX_FRACTION = 0.8  # the second load: this fraction of the variant's measured maximum
# Not a variant of the issue: the pump with fetch.min.bytes=1 set explicitly. It showed that the pump's old
# 64 KiB default made every fetch wait 100 ms at low rates; since the default is now 1 byte, this trial is a
# second sample of the default pump's latency at 1,000 records/s.
LOW_LATENCY_LABEL = "pump fetch.min.bytes=1"
LOW_LATENCY_PROPERTIES = ("--spring.cloud.stream.kafka.binder.consumerProperties.fetch.min.bytes=1",)
PROFILE_MAX_S = 8.0


@dataclass
class Settings:
    records: dict[str, int]
    runs: int
    variants: list[str]
    latency: bool
    warmup_s: float
    measure_s: float
    profile: bool
    quick: bool
    pump_properties: list[str]  # extra `--key=value` for every pump process: settings other than the defaults

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Results:
    trials: dict[str, dict[str, list[Trial]]] = field(default_factory=dict)
    failed: dict[str, dict[str, str]] = field(default_factory=dict)  # payload -> variant -> why
    latency: list[Latency] = field(default_factory=list)
    profile: dict[str, dict[str, Any]] = field(default_factory=dict)  # per pump variant
    errors: dict[str, str] = field(default_factory=dict)  # step -> why, for the report
    # The code measured: read when the run starts, as commits made during a run do not describe it.
    revision: str = field(default_factory=lambda: machine.revision(ROOT))


def parse_args(argv: list[str]) -> tuple[Settings, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="under 2 minutes: recipe payload, 1 run, no profile")
    parser.add_argument("--records", type=int, help="records per throughput trial, for every payload")
    parser.add_argument("--runs", type=int, help="runs per variant; the median is reported (default 3, quick 1)")
    parser.add_argument("--payloads", help=f"comma list of {', '.join(PAYLOADS)} (default: all; quick: recipe)")
    parser.add_argument("--variants", help=f"comma list of {', '.join(VARIANTS)} (default: all)")
    parser.add_argument("--no-latency", action="store_true", help="skip the latency trials")
    parser.add_argument("--warmup-seconds", type=float, help="latency warm-up, not measured (default 3, quick 1)")
    parser.add_argument("--measure-seconds", type=float, help="latency measurement (default 15, quick 3)")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, help="profile the pump (default: full run)")
    parser.add_argument("--pump-property", action="append", default=[], metavar="KEY=VALUE",
                        help="a python-router property for every pump run (repeatable), e.g. "
                        "spring.cloud.stream.kafka.binder.consumerProperties.fetch.min.bytes=1")  # fmt: skip
    parser.add_argument("--bootstrap", help="use this running broker instead of starting one (host:port)")
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args(argv)
    payload_names = _choices(args.payloads, PAYLOADS, "recipe" if args.quick else ",".join(PAYLOADS), parser)
    defaults = QUICK_RECORDS if args.quick else FULL_RECORDS
    settings = Settings(
        records={p: args.records or defaults[p] for p in payload_names},
        runs=args.runs or (1 if args.quick else 3),
        variants=_choices(args.variants, VARIANTS, ",".join(VARIANTS), parser),
        latency=not args.no_latency,
        warmup_s=args.warmup_seconds if args.warmup_seconds is not None else (1.0 if args.quick else 3.0),
        measure_s=args.measure_seconds if args.measure_seconds is not None else (3.0 if args.quick else 15.0),
        profile=args.profile if args.profile is not None else not args.quick,
        quick=args.quick,
        pump_properties=[f"--{p.removeprefix('--')}" for p in args.pump_property],
    )
    if any("=" not in p for p in settings.pump_properties):
        parser.error("--pump-property takes KEY=VALUE, e.g. spring.cloud.stream.kafka.binder.producerProperties.acks=1")
    if settings.runs < 1 or any(n < 1000 for n in settings.records.values()):
        parser.error("--runs must be at least 1 and --records at least 1000 (a rate needs more than one batch)")
    return settings, args


def _choices(given: str | None, allowed: Any, default: str, parser: argparse.ArgumentParser) -> list[str]:
    names = [n.strip() for n in (given or default).split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        parser.error(f"unknown name(s) {', '.join(unknown)}: choose from {', '.join(allowed)}")
    return names


class BenchRun:
    """One `python -m bench`: its settings, its scratch folder and what it has measured so far."""

    def __init__(self, settings: Settings, run_dir: Path) -> None:
        self.settings = settings
        self.run_dir = run_dir  # process logs, payload files, the raw profile
        self.results = Results()

    def plan(self) -> list[tuple[str, Callable[[str], None]]]:
        """The steps, in order, as (label, action(bootstrap)) pairs; their number drives the progress bar."""
        settings = self.settings
        steps: list[tuple[str, Callable[[str], None]]] = []
        for payload in settings.records:
            steps.append((f"pre-load {payload}", partial(self.preload, payload=payload)))
        # Runs are interleaved (run 1 of every variant, then run 2, ...) so that a noisy minute hits all alike.
        for run in range(settings.runs):
            for payload in settings.records:
                for variant in settings.variants:
                    label = f"run {run + 1}/{settings.runs} {payload} {variant}"
                    steps.append((label, partial(self.throughput, payload=payload, variant=variant)))
        if settings.latency:
            for variant in (v for v in LATENCY_VARIANTS if v in settings.variants):
                for load in (f"{FIXED_LOAD:.0f}/s", f"{MAX_FRACTION:.0%} of max"):
                    steps.append((f"latency {variant} {load}", partial(self.latency, variant=variant, load=load)))
            if "pump" in settings.variants and not settings.quick:
                fixed = f"{FIXED_LOAD:.0f}/s"
                steps.append((f"latency {LOW_LATENCY_LABEL} {fixed}", partial(self.latency, variant="pump", load=fixed,
                                                                             tuned=True)))  # fmt: skip
        if settings.profile:
            for variant in (v for v in PUMPS if v in settings.variants):
                steps.append((f"profile {variant}", partial(self.profile, variant=variant)))
        return steps

    def preload(self, bootstrap: str, payload: str) -> None:
        topics = _topics(payload)
        scratch = [f"{topics.input}.{variant}" for variant in CEILINGS if variant.endswith("produce")]
        scratch += [f"{topics.input}{suffix}" for suffix in ROUTE_OUTPUTS]
        create_topics(bootstrap, [topics.input, *topics.outputs, *scratch])
        preload(bootstrap, topics.input, PAYLOADS[payload], self.settings.records[payload])

    def throughput(self, bootstrap: str, payload: str, variant: str) -> None:
        failed = self.results.failed.setdefault(payload, {})
        if variant in failed:
            return  # it failed in an earlier run: its error is already in the report
        topics, count = _topics(payload), self.settings.records[payload]
        try:
            if variant in ROUTERS:
                properties = self._properties(variant)
                trial = measure_router(variant, bootstrap, topics, count, self.run_dir / "logs", properties)
            else:
                scratch = f"{topics.input}.{variant}"
                trial = measure_ceiling(variant, bootstrap, topics.input, scratch, PAYLOADS[payload], count,
                                        self.run_dir)  # fmt: skip
        except Exception as exc:
            failed[variant] = str(exc)
            raise
        self.results.trials.setdefault(payload, {}).setdefault(variant, []).append(trial)
        tqdm.write(f"  {payload:<7}{variant:<13}{trial.records_per_s:>10,.0f} records/s")

    def latency(self, bootstrap: str, variant: str, load: str, tuned: bool = False) -> None:
        if load.endswith("/s"):
            offered = FIXED_LOAD
        else:
            maximum = rate(summarize_throughput(self.results.trials.get("recipe", {}), {}), variant)
            if maximum is None:
                raise RuntimeError(f"{variant} has no measured maximum on the recipe payload, so {load} is unknown")
            offered = MAX_FRACTION * maximum
        result = measure_latency(
            variant,
            bootstrap,
            rate=offered,
            load=load,
            warmup_s=self.settings.warmup_s,
            measure_s=self.settings.measure_s,
            work_dir=self.run_dir,
            properties=self._properties(variant, tuned),
            label=LOW_LATENCY_LABEL if tuned else None,
        )
        self.results.latency.append(result)
        tqdm.write(f"  latency {result.variant} {load}: p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms")

    def _properties(self, variant: str, tuned: bool = False) -> list[str]:
        if variant == "naive":
            return []
        return [*self.settings.pump_properties, *(LOW_LATENCY_PROPERTIES if tuned else ())]

    def profile(self, bootstrap: str, variant: str) -> None:
        payload = next(iter(self.settings.records))
        count = self.settings.records[payload]
        # Sample only while the pump is busy: for most of the time its measured rate says it needs.
        measured = rate(summarize_throughput(self.results.trials.get(payload, {}), {}), variant)
        seconds = PROFILE_MAX_S if measured is None else max(1.0, min(PROFILE_MAX_S, 0.7 * count / measured))
        self.results.profile[variant] = profile_pump(bootstrap, _topics(payload), count, self.run_dir,
                                                     seconds=seconds, properties=self.settings.pump_properties,
                                                     variant=variant)  # fmt: skip

    def execute(self, bootstrap: str | None) -> None:
        """Every step, with a progress bar; a failed step is reported and the run goes on with the next one."""
        steps = self.plan()
        broker: LocalKafka | None = None
        state_dir: Path | None = None
        bar = tqdm(total=len(steps) + (0 if bootstrap else 1), unit="step", dynamic_ncols=True)
        try:
            if bootstrap is None:
                bar.set_description("starting Kafka")
                state_dir = Path(tempfile.mkdtemp(prefix="python-router-bench-kafka-"))
                broker = LocalKafka(state_dir=state_dir, port=free_port(), die_with_parent=True)
                broker.start()
                bootstrap = broker.bootstrap
                bar.update()
            for label, action in steps:
                bar.set_description(label)
                began = time.monotonic()
                try:
                    action(bootstrap)
                except Exception as exc:
                    self.results.errors[label] = f"{type(exc).__name__}: {exc}"
                    tqdm.write(f"  FAILED {label} after {time.monotonic() - began:.0f}s: {exc}")
                    self.run_dir.mkdir(parents=True, exist_ok=True)
                    with (self.run_dir / "failures.txt").open("a") as out:
                        out.write(f"== {label}\n{traceback.format_exc()}\n")
                bar.update()
        finally:
            bar.close()
            if broker is not None:
                broker.stop()
            if state_dir is not None:
                shutil.rmtree(state_dir, ignore_errors=True)


def _topics(payload: str) -> Topics:
    return Topics.named(f"bench.{payload}")


def run(settings: Settings, args: argparse.Namespace, argv: list[str]) -> int:
    started = datetime.now().astimezone()
    load_at_start = [round(x, 2) for x in os.getloadavg()]  # other work on the machine skews every figure
    stamp = started.strftime("%Y%m%d-%H%M%S")
    results_dir: Path = args.results_dir
    bench = BenchRun(settings, results_dir / f"run-{stamp}")
    missing = pump_missing()
    if missing is not None:
        for variant in ROUTERS:
            if variant.startswith("pump") and variant in settings.variants:
                settings.variants.remove(variant)
                bench.results.errors[variant] = f"not run: {missing}"
                print(f"bench: skipping {variant}: {missing}", file=sys.stderr)
    bench.execute(args.bootstrap)
    report = build_report(settings, bench.results, started, argv, load_at_start)
    json_path, png_path = results_dir / f"bench-{stamp}.json", results_dir / f"bench-{stamp}.png"
    write_json(report, json_path)
    write_chart(report, png_path)
    print(render_table(report))
    print(f"\nbench: {json_path} and {png_path} (process logs in {bench.run_dir})")
    return 1 if bench.results.errors else 0


def build_report(
    settings: Settings, results: Results, started: datetime, argv: list[str], load_at_start: list[float]
) -> dict[str, Any]:
    throughput = {
        payload: summarize_throughput(results.trials.get(payload, {}), results.failed.get(payload, {}))
        for payload in settings.records
    }
    return {
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench", *argv]),
        "revision": results.revision,
        "settings": settings.as_dict(),
        "payloads": {p: PAYLOADS[p].describe() for p in settings.records},
        "machine": {**machine.describe(), "load_average_at_start": load_at_start},  # describe(): at the end
        "throughput": throughput,
        "latency": [lat.as_dict() for lat in results.latency],
        "goals": goals(throughput, results.latency),
        "profile": results.profile,
        "errors": results.errors,
    }


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    settings, args = parse_args(arguments)
    return run(settings, args, arguments)


if __name__ == "__main__":
    raise SystemExit(main())
