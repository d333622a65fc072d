"""docs/pump.md and docs/metrics.md tell the truth: the metrics listed are the ones registered, the pump's
defaults the code's."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry

from pump import CONSUMER_DEFAULTS, PRODUCER_DEFAULTS, PumpConfig
from pump.metrics import PumpMetrics
from python_router.live import ReloadMetrics
from sidecar.metrics import HttpMetrics
from tests.docs_pages import page, section


def test_the_metrics_table_lists_exactly_the_metrics_registered() -> None:
    registry = CollectorRegistry()
    PumpMetrics(registry)
    HttpMetrics(registry)
    ReloadMetrics(registry)
    registered = {metric.name for metric in registry.collect()}
    listed = set(re.findall(r"^\| `([a-z_]+?)(?:_total)?(?:\{[^}]*\})?` \|", page("docs/metrics.md"), re.MULTILINE))
    assert listed == registered


def test_the_defaults_table_matches_the_code() -> None:
    text = section("docs/pump.md", "Throughput settings")
    rows = dict(re.findall(r"^\| `([a-z.]+)`[^|]*\| ([^|]+) \|", text, re.MULTILINE))
    assert rows["max.poll.records"].strip() == str(CONSUMER_DEFAULTS["max_poll_records"])
    assert (
        rows["max.partition.fetch.bytes"].strip() == "1 MiB" and CONSUMER_DEFAULTS["max_partition_fetch_bytes"] == 2**20
    )
    assert rows["max.request.size"].strip() == "2 MiB" and PRODUCER_DEFAULTS["max_request_size"] == 2**21
    assert rows["max.block.ms"].strip() == "10 s" and PRODUCER_DEFAULTS["max_block_ms"] == 10_000
    assert "`linger.ms` / `batch.size` | 10 ms / 128 KiB" in text
    assert (PRODUCER_DEFAULTS["linger_ms"], PRODUCER_DEFAULTS["batch_size"]) == (10, 128 * 1024)
    assert "`fetch.min.bytes` / `fetch.max.wait.ms` | 1 / 100 ms" in text
    assert (CONSUMER_DEFAULTS["fetch_min_bytes"], CONSUMER_DEFAULTS["fetch_max_wait_ms"]) == (1, 100)


def test_the_shutdown_budget_is_the_codes() -> None:
    assert "default 20 s" in section("docs/pump.md", "Shutdown")
    assert PumpConfig.__dataclass_fields__["shutdown_timeout_s"].default == 20.0
