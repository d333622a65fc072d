"""Shutdown: the stop request and its time budget (router.shutdown.timeout), which every wait of the loop
honours; SIGTERM / SIGINT make the request, a second one exits at once; a watchdog bounds the whole
shutdown, should a client hang while closing: the pump itself finishes within the budget, and the watchdog
ends the process a moment after it, within the budget plus one second."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Final, Protocol

log = logging.getLogger("pump")

EXIT_AT_ONCE: Final = 130  # what a shell reports for a process ended by Ctrl-C
EXIT_WATCHDOG: Final = 1
_WATCHDOG_GRACE_S: Final = 0.8


class StopRequest:
    """Whether a stop was asked for, and what remains of the shutdown budget since. Safe to request from a
    signal handler or any thread: it only sets values."""

    def __init__(self, budget_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._budget_s = budget_s
        self._clock = clock
        self._requested_at: float | None = None

    def request(self) -> None:
        if self._requested_at is None:
            self._requested_at = self._clock()

    @property
    def requested(self) -> bool:
        return self._requested_at is not None

    def time_left(self, limit: float) -> float:
        """`limit` seconds, or less once a stop is requested: what remains of the budget (at least 0.1 s)."""
        if self._requested_at is None:
            return limit
        left = self._requested_at + self._budget_s - self._clock()
        return max(min(limit, left), 0.1)

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking early on a stop request; False when stopping."""
        deadline = self._clock() + seconds
        while self._requested_at is None:
            left = deadline - self._clock()
            if left <= 0:
                return True
            time.sleep(min(left, 0.05))
        return False


class Stoppable(Protocol):
    @property
    def stop_requested(self) -> bool: ...

    def request_stop(self) -> None: ...


def install(pump: Stoppable, *, shutdown_timeout_s: float, grace_s: float = _WATCHDOG_GRACE_S) -> None:
    """Route SIGTERM and SIGINT to `pump`. Call from the main thread (Python delivers signals there).

    The handler only sets a flag, so it is safe wherever the main thread is. If the process is still
    alive `shutdown_timeout_s` + `grace_s` after the first signal, the watchdog ends it with exit code 1.
    """

    def handle(signum: int, frame: FrameType | None) -> None:
        if pump.stop_requested:
            os.write(2, f"Second {signal.Signals(signum).name}: exiting at once.\n".encode())
            os._exit(EXIT_AT_ONCE)
        pump.request_stop()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    threading.Thread(
        target=_watchdog, args=(pump, shutdown_timeout_s + grace_s), name="pump-watchdog", daemon=True
    ).start()


def _watchdog(pump: Stoppable, budget_s: float) -> None:
    # Polls a flag rather than waiting on an Event: setting an Event from a signal handler can deadlock.
    while not pump.stop_requested:
        time.sleep(0.2)
    time.sleep(budget_s)
    log.error("Shutdown did not finish within %.0fs: exiting now. Uncommitted records are processed again.", budget_s)
    os._exit(EXIT_WATCHDOG)
