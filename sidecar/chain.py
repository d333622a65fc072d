"""The part of a transforms `Chain` the sidecar uses, as a Protocol: the real Chain fits it, and so can a
test double."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from transforms.record import Record


class ErrorPolicyView(Protocol):
    """`Chain.errors`: Kafka Connect's `errors.*` settings, read-only."""

    @property
    def tolerance(self) -> str: ...  # "none" or "all"

    @property
    def dead_letter_topic(self) -> str | None: ...


class RoutingChain(Protocol):
    """`transforms.Chain`, as far as /route, /actuator/health and /actuator/info need it."""

    @property
    def errors(self) -> ErrorPolicyView: ...

    @property
    def stages(self) -> Sequence[object]: ...

    def apply(self, record: Record) -> Record | None:
        """The transformed record, or None when dropped; raises transforms.errors.TransformError."""
        ...

    def describe(self) -> list[dict[str, object]]:
        """`[{"alias", "type", "predicate", "negate"}, ...]`, in chain order."""
        ...


def dead_letter_topic(chain: RoutingChain) -> str | None:
    """Where a failed record would go: Connect dead-letters only with `errors.tolerance=all` and a topic."""
    errors = chain.errors
    if errors.tolerance == "all" and errors.dead_letter_topic:
        return errors.dead_letter_topic
    return None


@dataclass(frozen=True, slots=True)
class ChainVersion:
    """Which load of the chain is running: 1 at start, one more at each reload that changed it."""

    number: int
    loaded_at: datetime

    def document(self) -> dict[str, object]:
        return {"version": self.number, "loadedAt": self.loaded_at.isoformat(timespec="milliseconds")}
