"""The bench's pure pieces: its payloads route as the recipe expects, and its statistics, profile and report work."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.latency import Latency, percentile
from bench.naive_router import is_even_timestamp
from bench.process_cost import cost, cpu_seconds
from bench.pump_profile import parse_raw, summarize
from bench.report import goals, render_table, summarize_throughput, write_chart
from bench.routers import ROUTERS, on_client
from bench.throughput import Trial
from bench.workload import KIB, ONE_KIB, PAYLOADS, RECIPE
from transforms import Record, build_chain, parse_properties

ROOT = Path(__file__).resolve().parents[2]
BINDINGS = {"input": "timeDest", "even": "evenDest", "odd": "oddDest"}


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS)
def test_every_payload_routes_alike_in_the_chain_and_the_naive_loop(payload: object) -> None:
    chain = build_chain(parse_properties((ROOT / "connect-config/router.properties").read_text()), bindings=BINDINGS)
    for seq in range(120):
        value = payload.value(seq)  # type: ignore[attr-defined]
        routed = chain.apply(Record(topic="timeDest", value=value))
        assert routed is not None
        even = is_even_timestamp(value)
        assert routed.topic == ("evenDest" if even else "oddDest")
        assert routed.value == (b"Even timestamp: " if even else b"Odd timestamp: ") + value


def test_payloads_are_the_time_source_text_and_a_padded_kibibyte() -> None:
    assert RECIPE.value(0) == b"05/17/19 17:56:36"
    assert RECIPE.value(25) == b"05/17/19 17:57:01"
    assert len(ONE_KIB.value(7)) == KIB and ONE_KIB.value(7).strip() == RECIPE.value(7)
    assert len(set(RECIPE.values(1000))) == 1000  # the latency join needs distinct values


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 1001)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 99.9)) == (500.0, 990.0, 999.0)
    assert percentile([7.0], 99.9) == 7.0


def test_the_cost_of_this_process_is_readable() -> None:
    spent = cost([os.getpid()])
    assert spent.cpu_seconds >= cpu_seconds(os.getpid()) - 1 and spent.cpu_seconds > 0
    assert 10 < spent.peak_rss_mib < 4096


def test_profile_ranks_own_and_total_time_without_the_entry_frames() -> None:
    raw = (
        "thread (1): MainThread;main (a.py:1);loop (a.py:5);send (k.py:9) 60\n"
        "thread (1): MainThread;main (a.py:1);loop (a.py:5);poll (k.py:2) 30\n"
        "thread (2): sender;run (k.py:40) 10\n"
    )
    summary = summarize(parse_raw(raw))
    assert summary["samples"] == 100
    assert summary["threads"] == {"MainThread": 90.0, "sender": 10.0}
    assert summary["top_own"][0] == {"function": "send (k.py:9)", "percent": 60.0, "samples": 60}
    # main and loop are in every MainThread sample, run in every sender one: entry points, not costs.
    assert [e["function"] for e in summary["top_total"]] == ["send (k.py:9)", "poll (k.py:2)"]


def _report() -> dict[str, object]:
    trial = Trial(records_per_s=10_000.0, cpu_s_per_million=50.0, peak_rss_mib=60.0, seconds=1.0, records=10_000)
    pump = Trial(records_per_s=35_000.0, cpu_s_per_million=30.0, peak_rss_mib=70.0, seconds=1.0, records=10_000)
    ceiling = Trial(records_per_s=40_000.0, cpu_s_per_million=None, peak_rss_mib=None, seconds=1.0, records=10_000)
    throughput = {"recipe": summarize_throughput(
        {"naive": [trial], "pump": [pump, pump], "kp-consume": [ceiling], "kp-produce": [ceiling]},
        {"pump-remote": "RouterError: it exited"},
    )}  # fmt: skip
    latency = [Latency("pump", "1000/s", 1000.0, 999.0, 998.0, 15000, 0, 3.0, 12.0, 20.0, 22.0)]
    return {
        "started": "2026-01-01T00:00:00+00:00",
        "settings": {"runs": 2, "records": {"recipe": 10_000}},
        "machine": {"cores": 2, "python": "3.11", "kafka_python": "3.0.12", "kafka": "4.3.1"},
        "throughput": throughput,
        "latency": [lat.as_dict() for lat in latency],
        "goals": goals(throughput, latency),
        "errors": {},
    }


def test_goals_are_judged_from_the_medians() -> None:
    verdicts = {(g["goal"], g["met"]) for g in _report()["goals"]}  # type: ignore[attr-defined]
    assert ("pump >= 1.0x naive (records/s)", True) in verdicts
    assert ("pump CPU per million records <= naive", True) in verdicts  # 30 against 50 s
    assert ("pump >= 70% of the lower kafka-python ceiling", True) in verdicts
    assert ("pump-remote >= 50% of pump", None) in verdicts  # it failed: not measured
    assert ("pump p99 latency at 1,000 records/s < 25 ms", True) in verdicts
    assert ("pump peak memory < 150 MiB", True) in verdicts


def test_table_and_chart(tmp_path: Path) -> None:
    report = _report()
    table = render_table(report)
    assert "pump (in-process)" in table and "3.50" in table  # 35,000 / 10,000 records/s
    assert "failed: RouterError: it exited" in table
    write_chart(report, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")


def test_each_pump_variant_runs_on_its_client() -> None:
    assert on_client("pump") == ("pump", [])
    assert on_client("pump-remote-librdkafka") == ("pump-remote", ["--router.kafka.client=librdkafka"])
    assert on_client("pump-librdkafka") == ("pump", ["--router.kafka.client=librdkafka"])
    pumps = {v for v in ROUTERS if v.startswith("pump")}
    assert on_client("pump-eos-librdkafka") == ("pump-eos", ["--router.kafka.client=librdkafka"])
    assert pumps == {
        "pump",
        "pump-eos",
        "pump-remote",
        "pump-librdkafka",
        "pump-eos-librdkafka",
        "pump-remote-librdkafka",
    }
