"""Offsets and rebalances: where each input partition stands, what is acknowledged but not committed yet,
committing it (only ever after acknowledgement), rewinding what is in hand, and committing before a
partition is revoked, as Kafka's Java client advises."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from transforms.record import Record

from .clients import Batch, Consumer, Partition, Positions
from .errors import GroupMovedOn
from .health import PumpHealth
from .metrics import PumpMetrics

log = logging.getLogger("pump")


class Offsets:
    """The input partitions' offsets; also the pump's RebalanceListener (pump.clients).

    The rebalance callbacks add and remove partitions rather than replace the set: with the cooperative
    assignor (partition.assignment.strategy=CooperativeSticky) they name only what changed. Before a
    revocation, `before_revocation` lets the loop settle the batch it has in flight, so that its offsets are
    committed with the rest rather than processed again by the partitions' next owner.
    """

    def __init__(
        self,
        input_topic: str,
        health: PumpHealth,
        metrics: PumpMetrics,
        clock: Callable[[], float],
        before_revocation: Callable[[], None],
    ) -> None:
        self._input_topic = input_topic
        self._before_revocation = before_revocation
        self._health = health
        self._metrics = metrics
        self._clock = clock
        self._uncommitted: dict[Partition, int] = {}  # acknowledged, commit pending
        self._positions: dict[Partition, int] = {}  # next offset per partition, for the lag
        self._read_to: dict[Partition, int] = {}  # the offset after the last record ever polled, per partition
        self._behind: set[Partition] = set()  # rewound below their _read_to: their next records may be repeats
        self._assignment: set[Partition] = set()

    @property
    def pending(self) -> bool:
        """Whether acknowledged offsets await their commit."""
        return bool(self._uncommitted)

    def polled(self, batch: Batch) -> int:
        """Note where each partition stands; returns how many of the batch's records were never polled before
        (a batch polled again after a rewind counts nothing new)."""
        self._positions.update(batch.next)
        read_to, behind = self._read_to, self._behind
        if behind.isdisjoint(batch.next):
            fresh = len(batch.records)  # no partition of the batch was rewound: no record is a repeat
        else:
            fresh = 0
            for record in batch.records:  # polled records always have a partition and an offset
                if (record.offset or 0) >= read_to.get(Partition(record.topic, record.partition or 0), 0):
                    fresh += 1
        for partition, end in batch.next.items():
            if end >= read_to.get(partition, 0):
                behind.discard(partition)
            read_to[partition] = max(end, read_to.get(partition, 0))
        return fresh

    def not_committed(self, in_hand: Sequence[Record]) -> list[str]:
        """What a restart processes again, per partition: the acknowledged offsets whose commit is pending,
        and the records in hand (polled, not acknowledged)."""
        said = [
            f"{p.topic}-{p.partition} acknowledged up to offset {offset - 1}, commit pending"
            for p, offset in sorted(self._uncommitted.items())
        ]
        first: dict[Partition, tuple[int, int]] = {}
        for record in in_hand:
            partition = Partition(record.topic, record.partition or 0)
            start, count = first.get(partition, (record.offset or 0, 0))
            first[partition] = (start, count + 1)
        said += [
            f"{p.topic}-{p.partition} from offset {start} ({count} records polled, not acknowledged)"
            for p, (start, count) in sorted(first.items())
        ]
        return said

    def acknowledged(self, positions: Positions) -> None:
        """A whole batch is acknowledged: `positions` (the offset after its last record, per partition) are
        to be committed."""
        self._to_commit(positions)

    def acknowledged_until(self, done: Sequence[Record], resume_at: Record) -> None:
        """A batch stopped at `resume_at`, everything before it acknowledged: per partition, the offset after
        its last record done is to be committed; for the stop's, its own offset, so a restart resumes at it."""
        offsets: dict[Partition, int] = {}
        for record in done:
            offsets[Partition(record.topic, record.partition)] = record.offset + 1  # type: ignore[arg-type, operator]
        offsets[Partition(resume_at.topic, resume_at.partition)] = resume_at.offset  # type: ignore[arg-type, assignment]
        self._to_commit(offsets)

    def _to_commit(self, offsets: Positions) -> None:
        for partition, offset in offsets.items():
            # A partition revoked or lost meanwhile is its next owner's to commit; per partition, offsets
            # only move forward.
            if partition in self._assignment and self._uncommitted.get(partition, -1) < offset:
                self._uncommitted[partition] = offset

    def commit(self, consumer: Consumer, timeout_s: float) -> None:
        """Commit what is acknowledged. A rebalance keeps it for the revocation to commit; BrokerUnavailable
        propagates (the loop retries)."""
        if not self._uncommitted:
            return
        started = self._clock()
        try:
            consumer.commit(dict(self._uncommitted), timeout_s)
        except GroupMovedOn as why:
            # Kept: revoked() hands them to the consumer to commit before the partitions go; if even that
            # is too late, their next owner processes them again (duplicates, no loss).
            log.warning("Offsets not committed yet, the group is rebalancing (%s); retrying before revocation.", why)
            return
        self._uncommitted.clear()
        self._metrics.commit_duration.observe(self._clock() - started)
        self._health.broker_answered()

    def to_commit(self) -> Positions:
        """What is acknowledged and not committed yet (exactly-once commits it in the batch's transaction,
        then forgets it)."""
        return dict(self._uncommitted)

    def forget_pending(self) -> None:
        """Give up on committing what is pending (shutting down after a failed commit): processed again."""
        self._uncommitted.clear()

    def rewind(self, consumer: Consumer, in_hand: Sequence[Record]) -> None:
        """Seek each partition back to its first record in hand, so the next poll returns them again."""
        first: dict[Partition, int] = {}
        for record in in_hand:
            first.setdefault(Partition(record.topic, record.partition), record.offset)  # type: ignore[arg-type]
        for partition, offset in first.items():
            if consumer.seek(partition, offset):
                self._positions[partition] = offset
                if offset < self._read_to.get(partition, 0):
                    self._behind.add(partition)

    def lags(self, consumer: Consumer) -> list[tuple[str, int, int]]:
        """(topic, partition, lag) for each partition held whose end offset the consumer knows."""
        lags = []
        for partition, position in self._positions.items():
            highwater = consumer.highwater(partition)
            if highwater is not None:
                lags.append((partition.topic, partition.partition, max(highwater - position, 0)))
        return lags

    def held(self) -> list[Partition]:
        """The partitions read so far (for a broker probe)."""
        return list(self._positions)

    # --- RebalanceListener ------------------------------------------------------------------------------

    def assigned(self, partitions: set[Partition]) -> None:
        self._assignment |= partitions
        self._health.assignment = tuple(sorted(f"{p.topic}-{p.partition}" for p in self._assignment))
        self._health.joined = True
        if self._health.assignment:
            log.info("Assigned %s", ", ".join(self._health.assignment))
        else:  # a spare member; or, a sole member that joined before the topic's metadata was there
            log.info(
                "Assigned no partitions of %s for now: the group's other members hold them all, or the group does "
                "not know its partitions yet (a rebalance follows when it does).",
                self._input_topic,
            )

    def revoked(self, partitions: set[Partition]) -> Positions:
        """Settle the batch in flight, forget the partitions; return the acknowledged offsets still to commit
        for them."""
        self._before_revocation()
        pending = {p: offset for p, offset in self._uncommitted.items() if p in partitions}
        self.lost(partitions)
        return pending

    def lost(self, partitions: set[Partition]) -> None:
        self._health.joined = False
        self._assignment -= partitions
        for partition in partitions:
            self._uncommitted.pop(partition, None)
            self._positions.pop(partition, None)
