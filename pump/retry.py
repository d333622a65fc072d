"""Kafka Connect's retries of retriable failures (`errors.retry.timeout`, `errors.retry.delay.max.ms`):
the failed records are classified again, 300 ms after the first try and doubling, until the timeout."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Final, Protocol

from transforms.errors import Failure
from transforms.record import Record

from .classifier import Classifier, Outcome
from .errors import ClassifierUnavailable

FIRST_DELAY_S: Final = 0.3  # Connect's RetryWithToleranceOperator.RETRIES_DELAY_MIN_MS


class RetrySettings(Protocol):
    """The part of transforms.ErrorPolicy retries read."""

    @property
    def retry_timeout_ms(self) -> int: ...  # 0: no retries; -1: forever

    @property
    def retry_delay_max_ms(self) -> int: ...


def classify_with_retries(
    classifier: Classifier,
    records: Sequence[Record],
    settings: RetrySettings,
    wait: Callable[[float], bool],
    clock: Callable[[], float] = time.monotonic,
) -> list[Outcome]:
    """The outcomes of `records`, retriable failures retried within the timeout; those still failing after
    it are returned as failures. `wait(seconds)` sleeps and returns False when the pump is stopping, which
    abandons the batch (ClassifierUnavailable: it is retried after a restart, nothing is committed)."""
    outcomes = classifier.classify(records)
    timeout_ms = settings.retry_timeout_ms
    if timeout_ms == 0:
        return outcomes
    deadline = None if timeout_ms < 0 else clock() + timeout_ms / 1000
    delay = FIRST_DELAY_S
    pending = _retriable(outcomes, range(len(outcomes)))
    while pending:
        pause = min(delay, settings.retry_delay_max_ms / 1000)
        if deadline is not None:
            pause = min(pause, deadline - clock())
            if pause <= 0:
                break
        if not wait(pause):
            raise ClassifierUnavailable(
                f"Stopping while retrying {len(pending)} record(s) that failed with a retriable error: "
                "the batch is not committed, and is processed again after a restart."
            )
        again = classifier.classify([records[i] for i in pending])
        for index, outcome in zip(pending, again, strict=True):
            outcomes[index] = outcome
        pending = _retriable(outcomes, pending)
        delay *= 2
    return outcomes


def _retriable(outcomes: list[Outcome], indexes: Sequence[int]) -> list[int]:
    return [i for i in indexes if isinstance(outcome := outcomes[i], Failure) and outcome.retriable]
