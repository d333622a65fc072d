"""SIGTERM / SIGINT for the pump: the first asks it to finish the batch in hand and shut down; a second one
exits at once. A watchdog bounds the whole shutdown, should a client hang while closing: the pump itself
finishes within the shutdown timeout, and the watchdog ends the process a moment after it, within the
timeout plus one second."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from types import FrameType
from typing import Final, Protocol

log = logging.getLogger("pump")

EXIT_AT_ONCE: Final = 130  # what a shell reports for a process ended by Ctrl-C
EXIT_WATCHDOG: Final = 1
_WATCHDOG_GRACE_S: Final = 0.8


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
