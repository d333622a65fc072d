"""What the consume loop reports to the actuator: state the loop writes, and the sidecar reads at any time.

The loop thread assigns whole values (a tuple, a float, a str); the probe methods only read them, so they
answer at once, never block on the loop, and never raise (see sidecar.probe.PumpProbe).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from .broker_trouble import Diagnosis

UP = "UP"
DOWN = "DOWN"
UNKNOWN = "UNKNOWN"


class PumpHealth:
    """The loop's progress and the broker's reachability, as Spring health components."""

    def __init__(self, group: str, brokers: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.group = group
        self.brokers = brokers
        self.last_progress: float | None = None
        self.joined = False  # has received an assignment (maybe empty) since the last revocation
        self.stopped = False
        self.assignment: tuple[str, ...] = ()
        self.broker_ok: bool | None = None  # None until the first answer or failure
        self.broker_error: str | None = None
        # Why Kafka refuses the connection (credentials, certificate, protocol), read at once from kafka-python's
        # records: the kafka component says so before the bootstrap times out, and names the cause.
        self.trouble: Callable[[], Diagnosis | None] = lambda: None
        self.last_broker_contact: float | None = None
        # Topics the loop sends to that Kafka says do not exist (deleted at run time): DOWN, naming them.
        self.topics_missing: str | None = None
        self.fatal: str | None = None
        self.lag: int | None = None
        self.consumed = 0
        self.produced = 0
        self.dropped = 0
        self.dead_lettered = 0
        self.failed = 0

    # --- written by the loop ------------------------------------------------------------------------

    def progress(self) -> None:
        self.last_progress = self._clock()

    def broker_answered(self) -> None:
        self.last_broker_contact = self._clock()
        self.broker_ok = True
        self.broker_error = None

    def broker_failed(self, error: str) -> None:
        self.broker_ok = False
        self.broker_error = error

    def seconds_since_broker_contact(self) -> float | None:
        contact = self.last_broker_contact
        return None if contact is None else self._clock() - contact

    # --- read by the sidecar (PumpProbe) --------------------------------------------------------------

    def ready(self) -> bool:
        """Joined with an assignment, which may be empty: with more replicas than input partitions some hold
        none, and they are healthy spares, not broken."""
        return self.joined and not self.stopped and self.fatal is None

    def seconds_since_progress(self) -> float | None:
        last = self.last_progress
        return None if last is None else self._clock() - last

    def components(self) -> dict[str, Mapping[str, object]]:
        return {"kafka": self._kafka(), "consumer": self._consumer()}

    def _kafka(self) -> dict[str, object]:
        ok = self.broker_ok
        trouble = self.trouble()
        contact = self.last_broker_contact
        # A connection failure kafka-python logged after the broker's last answer means it is away now, even
        # while the loop still waits on an acknowledgement; one from before that answer is history.
        if trouble is not None and ok is True and contact is not None and trouble.seen_at <= contact:
            trouble = None
        missing = self.topics_missing
        status = DOWN if trouble is not None or missing else UNKNOWN if ok is None else UP if ok else DOWN
        details: dict[str, object] = {"brokers": self.brokers}
        since = self.seconds_since_broker_contact()
        details["secondsSinceContact"] = None if since is None else round(since, 1)
        if trouble is not None:
            details["error"], details["cause"] = trouble.reason, trouble.cause
        elif missing:
            details["error"], details["cause"] = missing, "topic-missing"
        elif self.broker_error is not None:
            details["error"] = self.broker_error
        return {"status": status, "details": details}

    def _consumer(self) -> dict[str, object]:
        since = self.seconds_since_progress()
        details: dict[str, object] = {
            "group": self.group,
            "joined": self.joined,
            "assignment": list(self.assignment),
            "lag": self.lag,
            "secondsSinceProgress": None if since is None else round(since, 3),
            "consumed": self.consumed,
            "produced": self.produced,
            "dropped": self.dropped,
            "failed": self.failed,
            "deadLettered": self.dead_lettered,
        }
        if self.fatal is not None:
            details["error"] = self.fatal
            return {"status": DOWN, "details": details}
        if self.stopped:
            details["state"] = "stopped"
            return {"status": DOWN, "details": details}
        return {"status": UP, "details": details}
