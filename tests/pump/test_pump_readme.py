"""README.md's pump section tells the truth: the metrics it lists are the ones emitted, its defaults the code's."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import CollectorRegistry

from pump import CONSUMER_DEFAULTS, PRODUCER_DEFAULTS, PumpConfig
from pump.metrics import PumpMetrics

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
SECTION = re.search(r"<!-- section:pump:begin -->(.*)<!-- section:pump:end -->", README, re.DOTALL)


def section() -> str:
    assert SECTION is not None, "README.md lost its pump section markers"
    return SECTION.group(1)


def test_the_metrics_table_lists_exactly_the_metrics_the_pump_registers() -> None:
    registry = CollectorRegistry()
    PumpMetrics(registry)
    emitted = {metric.name for metric in registry.collect()}
    listed = set(re.findall(r"^\| `(python_router_\w+?)(?:_total)?(?:\{[^}]*\})?` \|", section(), re.MULTILINE))
    assert listed == emitted


def test_the_defaults_table_matches_the_code() -> None:
    rows = dict(re.findall(r"^\| `([a-z.]+)`[^|]*\| ([^|]+) \|", section(), re.MULTILINE))
    assert rows["max.poll.records"].strip() == str(CONSUMER_DEFAULTS["max_poll_records"])
    assert (
        rows["max.partition.fetch.bytes"].strip() == "1 MiB" and CONSUMER_DEFAULTS["max_partition_fetch_bytes"] == 2**20
    )
    assert rows["max.request.size"].strip() == "2 MiB" and PRODUCER_DEFAULTS["max_request_size"] == 2**21
    assert rows["max.block.ms"].strip() == "10 s" and PRODUCER_DEFAULTS["max_block_ms"] == 10_000
    assert "`linger.ms` / `batch.size` | 10 ms / 128 KiB" in section()
    assert (PRODUCER_DEFAULTS["linger_ms"], PRODUCER_DEFAULTS["batch_size"]) == (10, 128 * 1024)
    assert "`fetch.min.bytes` / `fetch.max.wait.ms` | 1 / 100 ms" in section()
    assert (CONSUMER_DEFAULTS["fetch_min_bytes"], CONSUMER_DEFAULTS["fetch_max_wait_ms"]) == (1, 100)
    assert "default 20 s" in section() and PumpConfig.__dataclass_fields__["shutdown_timeout_s"].default == 20.0
