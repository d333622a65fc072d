"""The machine a benchmark ran on (cores, memory, load, versions), recorded beside its figures."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from scripts.local_kafka import kafka_version

MEASURED = ("transforms", "sidecar", "pump", "python_router", "connect-config", "bench")


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
    return round(int(match.group(1)) / 1024**2, 1) if match else float("nan")


def _java_version() -> str:
    try:
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False).stderr
    except OSError:
        return "not found"
    return out.splitlines()[0].strip() if out else "unknown"


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def revision(root: Path) -> str:
    """The commit measured, with `+changes` when the measured packages differ from it (others' work in progress)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *MEASURED], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+changes" if dirty else head


def describe() -> dict[str, object]:
    """Cores, memory, CPU model, load average and the versions of everything measured."""
    return {
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "cpu": _cpu_model(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "kafka_python": _package("kafka-python"),
        "crc32c": _package("crc32c"),
        "python_router": _package("python-router"),
        "kafka": kafka_version(),
        "java": _java_version(),
    }
