"""Where the pump's time goes: py-spy samples the running pump process while it routes a pre-loaded topic.

py-spy reads the process from outside (no code change, every thread: the consume loop, kafka-python's sender
thread, the HTTP server), and by default leaves out threads that are idle in a system call, so the samples
are CPU time. Functions are ranked by own samples (time in the function itself) and total samples (with
everything it calls), as `py-spy top` ranks them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.routers import RouterError, start_router
from bench.workload import OffsetWatcher, Topics

PROFILE_S = 8.0
RATE_HZ = 100
TOP = 10
# A frame in this share of its thread's samples is an entry point; not 100%, as non-blocking samples may be torn.
WRAPPER_SHARE = 0.95


def py_spy() -> str:
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if found is None:
        raise RuntimeError("py-spy is not installed, so the pump cannot be profiled: run `make venv` (bench extra).")
    return found


def profile_pump(
    bootstrap: str,
    topics: Topics,
    count: int,
    work_dir: Path,
    seconds: float = PROFILE_S,
    properties: Sequence[str] = (),
    variant: str = "pump",
) -> dict[str, Any]:
    """Profile a pump `variant` (pump, pump-librdkafka) routing `topics.input` (holding `count` records) with a
    new group, once it is under way."""
    tool = py_spy()
    raw = work_dir / f"{variant}-profile.raw"
    raw.parent.mkdir(parents=True, exist_ok=True)
    watcher = OffsetWatcher(bootstrap, topics.outputs)
    try:
        before = watcher.total()
        group = f"bench-profile-{uuid.uuid4().hex[:8]}"
        router = start_router(variant, bootstrap, topics, group, work_dir / "logs", properties=properties)
        try:
            deadline = time.monotonic() + 90
            while watcher.total() == before:
                router.check_alive()
                if time.monotonic() > deadline:
                    raise RouterError(f"The pump routed nothing in 90s; see {router.logs[-1]}")
                time.sleep(0.02)
            started = watcher.total()
            command = [tool, "record", "--pid", str(router.pids[-1]), "--duration", f"{seconds:.0f}"]
            command += ["--rate", str(RATE_HZ), "--format", "raw", "--function", "--threads", "--nonblocking"]
            result = subprocess.run([*command, "--output", str(raw)], capture_output=True, text=True, check=False)
            routed = watcher.total() - started
            if result.returncode != 0:
                raise RuntimeError(f"py-spy failed with code {result.returncode}: {result.stderr.strip()[-1000:]}")
        finally:
            router.stop()
    finally:
        watcher.close()
    stacks = parse_raw(raw.read_text())
    return {
        "tool": f"py-spy record --function --threads --nonblocking, {RATE_HZ} Hz, idle threads excluded",
        "seconds": seconds,
        "records_routed_while_sampled": routed,
        "records_total": count,
        **summarize(stacks),
        "raw_file": str(raw),
    }


def parse_raw(text: str) -> Counter[tuple[str, ...]]:
    """py-spy's raw (collapsed) format: `frame;frame;...;leaf count` per line, root first."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in text.splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks[tuple(frames.split(";"))] += int(count)
    return stacks


def summarize(stacks: Counter[tuple[str, ...]]) -> dict[str, Any]:
    """Samples per thread, and the top functions by own and by total samples (in percent of all samples).

    The total ranking leaves out the frames present in (nearly) every sample of their thread (`main`,
    `Pump.run`): they would fill the top with entries that say nothing about where the time goes.
    """
    total = sum(stacks.values()) or 1
    threads: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    per_thread: dict[str, Counter[str]] = {}  # thread -> samples each frame appears in
    for stack, count in stacks.items():
        thread, frames = (stack[0], stack[1:]) if stack[0].startswith("thread ") else ("", stack)
        # "thread (1234): MainThread" -> "MainThread": thread ids differ from run to run.
        name = thread.split(": ", 1)[-1] or "?"
        threads[name] += count
        if frames:
            own[frames[-1]] += count
        unique = set(frames)  # a recursive function counts once per sample
        for frame in unique:
            inclusive[frame] += count
            per_thread.setdefault(name, Counter())[frame] += count
    for name, appearances in per_thread.items():
        for frame, seen in appearances.items():
            if seen >= WRAPPER_SHARE * threads[name]:
                del inclusive[frame]

    def top(counter: Counter[str]) -> list[dict[str, Any]]:
        ranked = counter.most_common(TOP)
        return [{"function": f, "percent": round(100 * n / total, 1), "samples": n} for f, n in ranked]

    return {
        "samples": total,
        "threads": {name: round(100 * n / total, 1) for name, n in threads.most_common()},
        "top_own": top(own),
        "top_total": top(inclusive),
    }
