"""What a process has cost so far, read from Linux's /proc: CPU seconds (user + system) and peak resident memory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cost:
    """CPU seconds used and the peak resident set (VmHWM) in MiB; costs of several processes add up."""

    cpu_seconds: float
    peak_rss_mib: float

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.cpu_seconds + other.cpu_seconds, self.peak_rss_mib + other.peak_rss_mib)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of `pid` (its threads included), in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may hold spaces and parentheses: split after its closing one.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5), counted from `state`
    return (utime + stime) / _TICKS_PER_SECOND


def peak_rss_mib(pid: int) -> float:
    """The high-water mark of `pid`'s resident memory (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # reported in kB
    raise RuntimeError(f"/proc/{pid}/status has no VmHWM line: is {pid} a kernel thread or a zombie?")


def cost(pids: list[int]) -> Cost:
    """The summed cost of `pids` (for pump-remote, the pump and the sidecar); each must still be running."""
    total = Cost(0.0, 0.0)
    for pid in pids:
        total = total + Cost(cpu_seconds(pid), peak_rss_mib(pid))
    return total
