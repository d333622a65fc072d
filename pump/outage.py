"""An outage of the broker or the sidecar: its cause, reported once, how long it lasted, and the doubling
backoff between retries while it lasts."""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger("pump")


class Outage:
    """The loop's view of what is away. `begin()` per failed attempt, `over()` after a successful turn."""

    def __init__(self, backoff_s: float, backoff_max_s: float, clock: Callable[[], float]) -> None:
        self._first_backoff_s = backoff_s
        self._backoff_s = backoff_s
        self._backoff_max_s = backoff_max_s
        self._clock = clock
        self.cause: str | None = None  # what is away, while it is
        self._since = 0.0

    def begin(self, cause: str) -> bool:
        """Record a failed attempt for `cause`; True when the cause is new (to be logged), not a retry."""
        if self.cause == cause:
            return False
        if self.cause is None:
            self._since = self._clock()
        self.cause = cause
        return True

    def backoff(self, at_least_s: float = 0.0) -> float:
        """How long to wait before the next attempt (at least `at_least_s`); the next one waits twice as long."""
        wait = max(self._backoff_s, at_least_s)
        self._backoff_s = min(self._backoff_s * 2, self._backoff_max_s)
        return wait

    def over(self) -> None:
        self._backoff_s = self._first_backoff_s
        if self.cause is not None:
            log.info("Back to normal after %.0fs (%s).", self._clock() - self._since, self.cause)
            self.cause = None
