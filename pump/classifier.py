"""What the chain makes of each record of a batch, in-process: the Classifier protocol and ChainClassifier.

An Outcome is the routed Record (its topic is the destination), None (dropped), or the Failure that
stopped it. The remote classifier (pump/remote.py) gives the same outcomes through the sidecar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from transforms.errors import Failure, TransformError
from transforms.record import Record

Outcome = Record | Failure | None


class Classifier(Protocol):
    """Turns a batch into one outcome per record, in order."""

    def classify(self, records: Sequence[Record]) -> list[Outcome]:
        """One outcome per record. Raises pump.errors.ClassifierUnavailable when it cannot answer now (the
        pump then retries the batch later, committing nothing meanwhile)."""
        ...

    def health(self) -> Mapping[str, Mapping[str, object]]:
        """Extra health components (Spring-shaped), e.g. the remote sidecar's reachability; {} if none."""
        ...

    def close(self) -> None: ...


class Chain(Protocol):
    """What ChainClassifier needs of transforms.Chain."""

    def apply(self, record: Record) -> Record | None: ...


class ChainClassifier:
    """In-process: calls `chain.apply` on each record; a TransformError becomes that record's Failure."""

    def __init__(self, chain: Chain) -> None:
        self._apply = chain.apply

    def classify(self, records: Sequence[Record]) -> list[Outcome]:
        apply = self._apply
        outcomes: list[Outcome] = []
        append = outcomes.append
        for record in records:
            try:
                append(apply(record))
            except TransformError as error:
                append(error.failure)
        return outcomes

    def health(self) -> Mapping[str, Mapping[str, object]]:
        return {}

    def close(self) -> None:
        pass


class SwappableClassifier:
    """The classifier the pump holds, replaceable while it runs (a chain reloaded by /actuator/refresh).

    A batch is classified by the classifier current when the batch starts: `classify` reads it once, so a
    swap takes effect at the next batch boundary and no batch is ever split between two chains.
    """

    def __init__(self, classifier: Classifier) -> None:
        self._current = classifier

    @property
    def current(self) -> Classifier:
        return self._current

    def swap(self, classifier: Classifier) -> Classifier:
        """Make `classifier` classify the batches to come; returns the one it replaces (not closed)."""
        previous, self._current = self._current, classifier
        return previous

    def classify(self, records: Sequence[Record]) -> list[Outcome]:
        return self._current.classify(records)

    def health(self) -> Mapping[str, Mapping[str, object]]:
        return self._current.health()

    def close(self) -> None:
        self._current.close()
