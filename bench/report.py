"""Turns measured trials into the bench's three outputs: a terminal table, a JSON document and a PNG chart."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.latency import Latency
from bench.routers import PUMPS
from bench.routers import ROUTERS as ROUTER_VARIANTS
from bench.throughput import Trial

CEILING_VARIANTS = ("kp-consume", "kp-produce", "rd-consume", "rd-produce", "rd-route", "java-produce", "java-consume")
LABELS = {
    "naive": "naive (recipe loop)",
    "pump": "pump (in-process)",
    "pump-eos": "pump, exactly-once",
    "pump-remote": "pump-remote (/route/batch)",
    "pump-librdkafka": "pump librdkafka (in-process)",
    "pump-eos-librdkafka": "pump librdkafka, exactly-once",
    "pump-remote-librdkafka": "pump-remote librdkafka (/route/batch)",
    "java-router": "java-router (Spring Cloud Stream)",
    "kp-consume": "ceiling: kafka-python consume",
    "kp-produce": "ceiling: kafka-python produce",
    "rd-consume": "ceiling: librdkafka consume",
    "rd-produce": "ceiling: librdkafka produce",
    "rd-route": "ceiling: librdkafka route loop",
    "java-produce": "ceiling: Java ProducerPerformance",
    "java-consume": "ceiling: Java ConsumerPerformance",
}
GOAL_P99_MS = 25.0
GOAL_MEMORY_MIB = 150.0


def summarize_throughput(trials: Mapping[str, Sequence[Trial]], errors: Mapping[str, str]) -> dict[str, Any]:
    """Per variant: every run, the median rate and CPU, and the highest peak RSS; or the error that stopped it."""
    summary: dict[str, Any] = {}
    for variant in (*ROUTER_VARIANTS, *CEILING_VARIANTS):
        runs = list(trials.get(variant, ()))
        if not runs:
            if variant in errors:
                summary[variant] = {"error": errors[variant]}
            continue
        cpu = [t.cpu_s_per_million for t in runs if t.cpu_s_per_million is not None]
        rss = [t.peak_rss_mib for t in runs if t.peak_rss_mib is not None]
        summary[variant] = {
            "records_per_s": round(statistics.median(t.records_per_s for t in runs), 1),
            "cpu_s_per_million": round(statistics.median(cpu), 2) if cpu else None,
            "peak_rss_mib": round(max(rss), 1) if rss else None,
            "runs": [t.as_dict() for t in runs],
        }
        if variant in errors:
            summary[variant]["error"] = errors[variant]
    return summary


def rate(summary: Mapping[str, Any], variant: str) -> float | None:
    entry = summary.get(variant, {})
    value = entry.get("records_per_s")
    return float(value) if value is not None else None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def client_ceiling(summary: Mapping[str, Any]) -> float | None:
    """The lower of kafka-python's consume-only and produce-only rates: what a consume->produce loop can reach."""
    rates = [r for r in (rate(summary, "kp-consume"), rate(summary, "kp-produce")) if r is not None]
    return min(rates) if len(rates) == 2 else None


def goals(throughput: Mapping[str, Mapping[str, Any]], latency: Sequence[Latency]) -> list[dict[str, Any]]:
    """The issue's goals, each with the measured figure and whether it is met (None: not measured)."""
    found: list[dict[str, Any]] = []

    def add(goal: str, payload: str | None, measured: float | None, target: float, unit: str, below: bool) -> None:
        met = None if measured is None else (measured < target if below else measured >= target)
        found.append(
            {"goal": goal, "payload": payload, "measured": None if measured is None else round(measured, 3),
             "target": target, "unit": unit, "met": met}
        )  # fmt: skip

    for payload, summary in throughput.items():
        pump = rate(summary, "pump")
        add("pump >= 1.0x naive (records/s)", payload, _ratio(pump, rate(summary, "naive")), 1.0, "x", False)
        cpu = _ratio(_cpu(summary, "pump"), _cpu(summary, "naive"))
        add("pump CPU per million records <= naive", payload, cpu, 1.0, "x", True)
        add("pump >= 70% of the lower kafka-python ceiling", payload, _ratio(pump, client_ceiling(summary)), 0.7,
            "x", False)  # fmt: skip
        add("pump-remote >= 50% of pump", payload, _ratio(rate(summary, "pump-remote"), pump), 0.5, "x", False)
        fast = rate(summary, "pump-librdkafka")
        add("pump-librdkafka >= 5x naive", payload, _ratio(fast, rate(summary, "naive")), 5.0, "x", False)
        add("pump-librdkafka >= 70% of the librdkafka route loop", payload, _ratio(fast, rate(summary, "rd-route")),
            0.7, "x", False)  # fmt: skip
    for variant in PUMPS:
        p99 = next((lat.p99_ms for lat in latency if lat.variant == variant and lat.load == "1000/s"), None)
        add(f"{variant} p99 latency at 1,000 records/s < 25 ms", None, p99, GOAL_P99_MS, "ms", True)
        memory = [s[variant]["peak_rss_mib"] for s in throughput.values() if s.get(variant, {}).get("peak_rss_mib")]
        add(f"{variant} peak memory < 150 MiB", None, max(memory) if memory else None, GOAL_MEMORY_MIB, "MiB", True)
    return found


def _cpu(summary: Mapping[str, Any], variant: str) -> float | None:
    value = summary.get(variant, {}).get("cpu_s_per_million")
    return float(value) if value is not None else None


def _fmt(value: float | None, spec: str = ",.0f", missing: str = "-") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return format(value, spec)


def render_table(report: Mapping[str, Any]) -> str:
    """The terminal summary: rates with ratios to naive and to the client ceiling, latency, cost, goals."""
    lines: list[str] = []
    runs = report["settings"]["runs"]
    for payload, summary in report["throughput"].items():
        records = report["settings"]["records"][payload]
        naive, ceiling = rate(summary, "naive"), client_ceiling(summary)
        lines.append(f"\nThroughput, payload {payload} ({records:,} records, median of {runs} run(s))")
        lines.append(
            f"  {'variant':<36}{'records/s':>12}{'x naive':>9}{'x kp-ceil':>10}{'CPU s/M rec':>13}{'peak RSS MiB':>14}"
        )
        for variant, entry in summary.items():
            if "records_per_s" not in entry:
                lines.append(f"  {LABELS[variant]:<36}  failed: {entry['error'].splitlines()[0][:80]}")
                continue
            value = float(entry["records_per_s"])
            lines.append(
                f"  {LABELS[variant]:<36}{_fmt(value):>12}{_fmt(_ratio(value, naive), '.2f'):>9}"
                f"{_fmt(_ratio(value, ceiling), '.2f'):>10}{_fmt(entry['cpu_s_per_million'], '.1f'):>13}"
                f"{_fmt(entry['peak_rss_mib'], '.0f'):>14}"
            )
    if report["latency"]:
        lines.append("\nEnd-to-end latency, send -> routed record appended (ms; LogAppendTime, 1 ms resolution)")
        lines.append(
            f"  {'variant':<24}{'load':<12}{'offered/s':>10}{'sent/s':>9}{'routed/s':>9}{'records':>9}{'missing':>8}"
            f"{'p50':>9}{'p99':>9}{'p99.9':>9}{'max':>9}"
        )
        for lat in report["latency"]:
            lines.append(
                f"  {lat['variant']:<24}{lat['load']:<12}{_fmt(lat['offered_per_s']):>10}"
                f"{_fmt(lat['achieved_per_s']):>9}{_fmt(lat['routed_per_s']):>9}{lat['records']:>9,}{lat['missing']:>8,}"
                f"{_fmt(lat['p50_ms'], '.1f'):>9}{_fmt(lat['p99_ms'], '.1f'):>9}{_fmt(lat['p999_ms'], '.1f'):>9}"
                f"{_fmt(lat['max_ms'], '.1f'):>9}"
            )
    lines.append("\nGoals")
    for goal in report["goals"]:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[goal["met"]]
        where = f" [{goal['payload']}]" if goal["payload"] else ""
        measured = _fmt(goal["measured"], ".2f")
        lines.append(f"  {verdict:<13}{goal['goal']}{where}: {measured} {goal['unit']} (target {goal['target']})")
    for variant, profile in (report.get("profile") or {}).items():
        lines.append(f"\nWhere {variant}'s time goes ({profile['tool']}; {profile['samples']} samples), by own time")
        lines += [f"  {row['percent']:5.1f}%  {row['function']}" for row in profile["top_own"]]
    for step, message in report.get("errors", {}).items():
        lines.append(f"\nFAILED {step}: {message}")
    return "\n".join(lines)


def write_json(report: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")


def write_chart(report: Mapping[str, Any], path: Path) -> None:
    """Throughput by variant and payload, latency percentiles by variant and load, and CPU per record."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server, and no window in CI
    import matplotlib.pyplot as plt

    fig, (ax_rate, ax_lat, ax_cpu) = plt.subplots(1, 3, figsize=(19, 6.5), gridspec_kw={"width_ratios": [3, 3, 2]})
    payloads = list(report["throughput"])
    variants = [v for v in (*ROUTER_VARIANTS, *CEILING_VARIANTS)
                if any(rate(report["throughput"][p], v) for p in payloads)]  # fmt: skip
    width = 0.8 / max(1, len(payloads))
    highest = 1.0
    for i, payload in enumerate(payloads):
        values = [rate(report["throughput"][payload], v) or 0.0 for v in variants]
        highest = max(highest, *values)
        xs = [x + (i - (len(payloads) - 1) / 2) * width for x in range(len(variants))]
        bars = ax_rate.bar(xs, values, width, label=f"{payload} values")
        ax_rate.bar_label(bars, labels=[f"{v / 1000:.1f}k" if v else "" for v in values], fontsize=7, rotation=90,
                          padding=2)  # fmt: skip
    ax_rate.set_yscale("log")
    ax_rate.set_ylim(top=highest * 4)  # room for the labels above the bars
    ax_rate.set_xticks(range(len(variants)), [LABELS[v].replace("ceiling: ", "ceiling:\n") for v in variants],
                       rotation=30, ha="right", fontsize=8)  # fmt: skip
    ax_rate.set_ylabel("records/s (log scale)")
    ax_rate.set_title(f"Throughput, median of {report['settings']['runs']} run(s)")
    ax_rate.legend(fontsize=8)
    ax_rate.grid(axis="y", which="both", alpha=0.3)

    latency = report["latency"]
    if latency:
        names = [f"{lat['variant'].replace(' ', chr(10))}\n{lat['load']}\n(sent {lat['achieved_per_s']:,.0f}/s,"
                 f"\nrouted {lat['routed_per_s']:,.0f}/s)" for lat in latency]  # fmt: skip
        slowest = 1.0
        for j, (key, label) in enumerate((("p50_ms", "p50"), ("p99_ms", "p99"), ("p999_ms", "p99.9"))):
            xs = [x + (j - 1) * 0.27 for x in range(len(latency))]
            values = [max(lat[key], 0.5) if lat[key] == lat[key] else 0.0 for lat in latency]  # NaN: nothing came
            slowest = max(slowest, *values)
            bars = ax_lat.bar(xs, values, 0.27, label=label)
            ax_lat.bar_label(bars, labels=[f"{v:.0f}" if v >= 1 else f"{v:.1f}" for v in values], fontsize=6,
                             padding=2, rotation=90)  # fmt: skip
        ax_lat.axhline(GOAL_P99_MS, color="red", linestyle="--", linewidth=1, label="p99 goal (pump, 1000/s)")
        ax_lat.set_xticks(range(len(latency)), names, fontsize=7)
        ax_lat.set_yscale("log")
        ax_lat.set_ylim(0.5, slowest * 10)
        ax_lat.set_ylabel("ms, send -> routed record in Kafka (log scale)")
        ax_lat.legend(fontsize=8, loc="upper left", ncols=2)
        ax_lat.grid(axis="y", which="both", alpha=0.3)
    ax_lat.set_title("End-to-end latency")

    measured = [v for v in variants if v in ROUTER_VARIANTS or v.startswith("kp-")]
    for i, payload in enumerate(payloads):
        values = [report["throughput"][payload].get(v, {}).get("cpu_s_per_million") or 0.0 for v in measured]
        xs = [x + (i - (len(payloads) - 1) / 2) * width for x in range(len(measured))]
        bars = ax_cpu.bar(xs, values, width, label=f"{payload} values")
        ax_cpu.bar_label(bars, labels=[f"{v:.0f}" if v else "" for v in values], fontsize=7, padding=2)
    ax_cpu.set_xticks(range(len(measured)), [LABELS[v].replace("ceiling: ", "ceiling:\n") for v in measured],
                      rotation=30, ha="right", fontsize=8)  # fmt: skip
    ax_cpu.set_ylabel("CPU seconds per million records")
    ax_cpu.set_title("Cost of the router process(es)")
    ax_cpu.legend(fontsize=8)
    ax_cpu.grid(axis="y", alpha=0.3)

    machine = report["machine"]
    fig.suptitle(
        f"python-router bench, {report['started'][:16]} (git {report.get('revision', '?')}): {machine['cores']} cores, "
        f"Python {machine['python']}, "
        f"kafka-python {machine['kafka_python']}, Kafka {machine['kafka']}"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
