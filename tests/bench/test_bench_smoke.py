"""A tiny run of the bench against the session's broker: every piece runs end to end (nothing is timed here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main
from bench.latency import measure_latency

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(120)]


def test_a_tiny_run_writes_the_table_the_json_and_the_chart(
    bootstrap: str, stream_apps_jar: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = [
        "--bootstrap",
        bootstrap,
        "--payloads",
        "recipe",
        "--variants",
        "naive,pump,java-router,kp-consume,rd-route",
    ]
    arguments += ["--records", "3000", "--runs", "1", "--no-latency", "--no-profile", "--results-dir", str(tmp_path)]
    assert main(arguments) == 0, capsys.readouterr().out
    (report_file,) = tmp_path.glob("bench-*.json")
    report = json.loads(report_file.read_text())
    for variant in ("naive", "pump", "java-router", "kp-consume", "rd-route"):
        assert report["throughput"]["recipe"][variant]["records_per_s"] > 0, variant
    assert report["throughput"]["recipe"]["pump"]["peak_rss_mib"] > 0
    assert report["throughput"]["recipe"]["java-router"]["peak_rss_mib"] > 0
    assert report_file.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
    table = capsys.readouterr().out
    assert "naive (recipe loop)" in table and "java-router (Spring Cloud Stream)" in table


def test_latency_of_the_naive_loop_at_a_low_rate(bootstrap: str, tmp_path: Path) -> None:
    result = measure_latency("naive", bootstrap, rate=200, load="200/s", warmup_s=0.5, measure_s=1.0, work_dir=tmp_path)
    assert result.records == 200 and result.missing == 0
    assert 0 <= result.p50_ms <= result.p99_ms <= result.p999_ms <= result.max_ms
