"""The pump: poll a batch, classify it, send the results; with a backlog, poll and classify the next batch
while the broker acknowledges them; once all are acknowledged, commit the batch's offsets (at-least-once).
On trouble, rewind both batches and retry. Each hard part has its module: delivery.py (sending,
acknowledgement, dead letters), offsets.py (commits, rewinds, rebalances), startup.py (topics, clients,
joining), signals.py (the stop request and its budget), pump/clients (the Kafka client seam)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Collection, Mapping, Sequence

from prometheus_client import CollectorRegistry

from spring_properties.binder_names import AUTO_CREATE_TOPICS
from transforms.record import Record

from .classifier import Classifier, Outcome
from .clients import Batch, KafkaClients, Partition, kafka_clients
from .config import PumpConfig
from .delivery import BatchDelivery, Between, ErrorHandling, InFlight
from .errors import (
    BrokerUnavailable,
    ClassifierUnavailable,
    PumpError,
    RecordFailed,
    TopicsMissing,
    TopicsNotCreated,
    TransactionFailed,
    Unavailable,
)
from .health import PumpHealth
from .metrics import PumpMetrics
from .offsets import Offsets
from .outage import Outage
from .retry import classify_with_retries
from .signals import StopRequest
from .startup import CLOSE_RESERVE_S, Connection, Startup, close
from .topics import topic_specs
from .transactions import AtLeastOnce, BatchCommit, ExactlyOnce

log = logging.getLogger("pump")

_HOUSEKEEPING_INTERVAL_S = 1.0
_PROBE_TIMEOUT_S = 5.0
_RECREATE_INTERVAL_S = 5.0  # how often a missing topic is created again while a batch waits for it
# A batch of at least this share of max.poll.records means the input has a backlog: its acknowledgement
# overlaps the next poll. A smaller one (the loop keeps up) is acknowledged at once: waiting a turn for the
# next poll would add that turn to every record's latency.
_BACKLOG_SHARE = 0.1


class Pump:
    """At-least-once consume -> classify -> produce -> commit, until request_stop().

    It is also the sidecar's PumpProbe: health_components(), ready(), seconds_since_progress().

    >>> pump = Pump(config, ChainClassifier(chain), chain.errors, registry)  # doctest: +SKIP
    >>> signals.install(pump, shutdown_timeout_s=config.shutdown_timeout_s)  # doctest: +SKIP
    >>> sys.exit(pump.run())                                                 # doctest: +SKIP
    """

    def __init__(
        self,
        config: PumpConfig,
        classifier: Classifier,
        errors: ErrorHandling,
        registry: CollectorRegistry | None = None,
        *,
        clients: KafkaClients | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._classifier = classifier
        self._errors = errors
        self._clock = clock
        clients = clients if clients is not None else kafka_clients(config.kafka_client)
        self._metrics = PumpMetrics(registry if registry is not None else CollectorRegistry())
        self._health = PumpHealth(config.group_id, config.brokers, clock)
        # The client's errors say only that it could not connect; its trouble watcher says why.
        self._trouble = clients.trouble(config.brokers, {**config.client, **config.consumer})
        self._health.trouble = self._trouble.diagnosis
        self._stop = StopRequest(config.shutdown_timeout_s, clock)
        self._outage = Outage(config.retry_backoff_s, config.retry_backoff_max_s, clock)
        self._offsets = Offsets(config.input_topic, self._health, self._metrics, clock, self._settle_before_revocation)
        self._delivery = BatchDelivery(errors, config, self._health, self._metrics)
        self._batch_commit: BatchCommit = (
            ExactlyOnce(self._offsets, self._metrics, errors, config.ack_timeout_s, clock)
            if config.exactly_once
            else AtLeastOnce(self._offsets)
        )
        topics = topic_specs(config, errors.dead_letter_topic, errors.dead_letter_replication_factor)
        self._startup = Startup(
            config, topics, errors.dead_letter_topic, clients, self._trouble, self._health, self._outage, self._stop
        )
        self._connection: Connection | None = None
        self._in_flight: InFlight | None = None  # sent, not yet acknowledged
        self._in_hand: Sequence[Record] = ()  # polled, not sent yet
        self._failed_in_revocation: PumpError | None = None  # raised by the loop once the poll returns
        self._next_housekeeping = 0.0
        self._waiting_since: float | None = None  # when the batch in flight began to wait on the broker
        self._next_recreate = 0.0
        # Exactly-once has one transaction open at a time: each batch is settled before the next is sent.
        overlap = not config.exactly_once
        self._backlog_records = max(1, int(config.max_poll_records * _BACKLOG_SHARE)) if overlap else sys.maxsize

    def run(self) -> int:
        """Pump until request_stop(); returns 0 after a clean shutdown. Raises RecordFailed when a record
        fails with errors.tolerance=none, TopicsMissing / TopicsNotCreated when topics cannot be provided."""
        self._trouble.install()
        try:
            self._connection = self._startup.connect(self._offsets)
            while self._connection is not None and not self._stop.requested:
                try:
                    if self._run_once(self._connection):
                        self._outage.over()  # records moved, or the broker answered: not after an empty poll
                except Unavailable as why:
                    if self._stop.requested:
                        break  # what is in hand is said not committed, on the way out
                    self._retry_later(why, self._connection)
            if self._connection is not None and not self._stop_budget_spent():
                self._acknowledge_before_stopping()
        except RecordFailed as failed:
            self._health.fatal = str(failed)
            raise
        finally:
            self.shutdown()
            self._trouble.remove()
        return 0

    def _run_once(self, connection: Connection) -> bool:
        """One turn: poll and classify the next batch while the broker acknowledges the one in flight; then
        commit that one, and send this one (and, when the input has no backlog, acknowledge it at once). True
        when it proved the broker works: records moved, a commit or a probe answered."""
        idle = True
        outcomes: Sequence[Outcome] | None = None
        try:
            batch = self._poll(connection)
            idle = not batch.records
            started = self._clock()
            if batch.records:
                outcomes = classify_with_retries(self._classifier, batch.records, self._errors, self._stop.wait,
                                                 self._clock)  # fmt: skip
        finally:
            moved = self._settle(connection, commit_alone=idle)
        if outcomes is not None:
            outcomes = self._batch_commit.begin(connection, batch.records, outcomes)
            self._waiting_since = self._clock()
            try:
                self._in_flight = self._delivery.send(
                    connection.producer, connection.limits, batch, outcomes, started, self._between
                )
            finally:
                self._waiting_since = None
            self._in_hand = ()
            if len(batch.records) < self._backlog_records:
                self._settle(connection, commit_alone=False)
            moved = True
        return self._housekeeping(connection) or moved

    def _settle(self, connection: Connection, *, commit_alone: bool) -> bool:
        """Wait for the acknowledgement of the batch in flight, then commit (per partition, the offset after
        its last record, or up to the record it stopped at); raise RecordFailed at a stop. With nothing in
        flight, commit what a failed commit left only when `commit_alone` (the poll found nothing): else it
        goes with the next batch's, after an acknowledgement that waits in slices a stop can cut. True when
        there was something to acknowledge or commit."""
        if self._failed_in_revocation is not None:
            failed, self._failed_in_revocation = self._failed_in_revocation, None
            raise failed
        if self._in_flight is None and not (commit_alone and self._offsets.pending):
            return False
        stop = self._acknowledge(self._between) if self._in_flight is not None else None
        self._batch_commit.commit(connection, self._stop.time_left(self.config.ack_timeout_s))
        if stop is not None:
            raise stop
        return True

    def _acknowledge(self, between: Between) -> RecordFailed | None:
        """Acknowledge the batch in flight and take its offsets for the commit; the stop it met, if any."""
        assert self._in_flight is not None and self._connection is not None
        sent, connection = self._in_flight, self._connection
        self._waiting_since = self._clock()
        try:
            stop = self._delivery.acknowledge(connection.producer, connection.limits, sent, between)
        finally:
            self._waiting_since = None
        self._in_flight = None
        self._health.topics_missing = None
        self._metrics.batch_duration.observe(self._clock() - sent.started)
        if stop is None:
            self._offsets.acknowledged(sent.next)
            return None
        failed = sent.records[stop.index]
        self._in_hand = [*sent.records[stop.index :], *self._in_hand]  # rewound if the commit fails
        self._offsets.acknowledged_until(sent.records[: stop.index], resume_at=failed)
        return RecordFailed(failed.topic, failed.partition or 0, failed.offset or 0, stop.failure, stop.advice)

    def _settle_before_revocation(self) -> None:
        """Called by the consumer, inside poll(), before partitions go: acknowledge the batch in flight so
        that its offsets are committed before revocation. It waits one slice only (the consumer must get on
        with the rebalance); a failure is raised by the loop after the poll, which rewinds the batch."""
        if self._in_flight is not None:
            try:
                self._failed_in_revocation = self._acknowledge(lambda topics: False)
            except Unavailable as why:
                self._failed_in_revocation = why

    def _acknowledge_before_stopping(self) -> None:
        """Acknowledge the batch in flight, within the stop's budget, so that shutdown() commits its offsets with
        the rest: one commit on the way out (two, during an outage, spent the budget twice)."""
        if self._in_flight is None:
            return
        try:
            stop = self._acknowledge(self._between)
        except Unavailable as why:
            log.warning("The last batch is not acknowledged (%s): it is processed again after a restart.", why)
            return
        if stop is not None:
            raise stop

    def _stop_budget_spent(self) -> bool:
        return self._stop.requested and self._stop.time_left(self.config.shutdown_timeout_s) <= 0.1

    def _between(self, topics: Collection[str]) -> bool:
        """While a batch waits on the broker (delivery.Between): keep liveness, health and housekeeping going,
        name a missing topic (and create it again when the app provisions topics), say once what is away;
        False once a stop request's budget is spent."""
        connection = self._connection
        assert connection is not None and self._waiting_since is not None
        self._watch_missing_topics(connection, topics)
        waited = self._clock() - self._waiting_since
        trouble = self._trouble.diagnosis()
        cause = self._health.topics_missing or (
            trouble.reason if trouble is not None and trouble.seen_at > self._waiting_since else None
        )
        if cause is None and waited >= self.config.ack_timeout_s:
            cause = f"Kafka has not acknowledged the batch for {waited:.0f}s"
        if cause is not None:
            self._health.broker_failed(cause)
            if self._outage.cause is None and self._outage.begin(cause):
                log.warning("%s. Waiting, committing nothing new until the batch is acknowledged.", cause)
        self._housekeeping(connection)
        if self._stop.requested:
            return self._stop.time_left(self.config.shutdown_timeout_s) > 0.1
        return True

    def _watch_missing_topics(self, connection: Connection, topics: Collection[str]) -> None:
        assert self._waiting_since is not None
        missing = [topic for topic in self._trouble.missing_topics(self._waiting_since) if topic in topics]
        if not missing:
            return
        names = ", ".join(missing)
        create = self.config.auto_create_topics
        self._health.topics_missing = f"Topic(s) {names} do not exist (deleted while the app runs?): " + (
            f"creating them again ({AUTO_CREATE_TOPICS}=true)"
            if create
            else f"waiting for them: create them, or set {AUTO_CREATE_TOPICS}=true"
        )
        now = self._clock()
        if create and now >= self._next_recreate:
            self._next_recreate = now + _RECREATE_INTERVAL_S
            try:
                limits = self._startup.provision_topics()
            except (BrokerUnavailable, TopicsMissing, TopicsNotCreated) as why:
                log.warning("Could not create topic(s) %s again: %s", names, why)
                return
            connection.limits.update({t: min(size, connection.limits.get(t, size)) for t, size in limits.items()})

    def _poll(self, connection: Connection) -> Batch:
        # With a batch in flight, take what the consumer has fetched already rather than wait for more.
        timeout_s = 0.0 if self._in_flight is not None else self.config.poll_timeout_ms / 1000
        batch = connection.consumer.poll(timeout_s)
        if batch.records:
            self._in_hand = batch.records
            fresh = self._offsets.polled(batch)
            self._health.broker_answered()
            self._health.consumed += fresh
            self._metrics.consumed.inc(fresh)
        return batch

    def _retry_later(self, why: Unavailable, connection: Connection) -> None:
        """Rewind what is not acknowledged, report the outage (once), and back off before the next turn."""
        in_flight = self._in_flight.records if self._in_flight is not None else ()
        rewind = self._batch_commit.abort(connection, [*in_flight, *self._in_hand], why)
        self._offsets.rewind(connection.consumer, rewind)
        self._in_flight, self._in_hand = None, ()
        if isinstance(why, TransactionFailed) and why.refused:
            return  # no outage: the batch again at once, its refused records failed (pump/transactions.py)
        self._metrics.retries.labels("classifier" if isinstance(why, ClassifierUnavailable) else "broker").inc()
        if isinstance(why, BrokerUnavailable):
            self._health.broker_failed(str(why))
        if self._outage.cause is None and self._outage.begin(str(why)):
            log.warning("%s. Retrying, committing nothing new until it succeeds.", why)
        # The loop is alive and retrying: that is progress for liveness (a restart would not bring the
        # broker back); readiness and the kafka component say what is wrong.
        self._health.progress()
        self._stop.wait(self._outage.backoff())

    def _housekeeping(self, connection: Connection) -> bool:
        """Progress for liveness (waiting on an away broker counts: a restart would not bring it back; the
        kafka component says what is wrong); now and then, the lag, and a broker round trip when nothing else
        told us the broker is there (an idle input) or kafka-python reported a failure since. True when that
        round trip was answered."""
        self._health.progress()
        now = self._clock()
        if now < self._next_housekeeping:
            return False
        self._next_housekeeping = now + _HOUSEKEEPING_INTERVAL_S
        lags = self._offsets.lags(connection.consumer)
        self._metrics.set_lag(lags)
        self._health.lag = sum(lag for _, _, lag in lags) if lags else None
        since = self._health.seconds_since_broker_contact()
        trouble = self._trouble.diagnosis()
        contact = self._health.last_broker_contact
        failed_since = trouble is not None and (contact is None or trouble.seen_at > contact)
        if since is None or since > self.config.broker_probe_interval_s or failed_since:
            return self._probe_broker(connection)
        return False

    def _probe_broker(self, connection: Connection) -> bool:
        partitions = self._offsets.held() or [Partition(self.config.input_topic, 0)]
        try:
            connection.consumer.probe(partitions, self._stop.time_left(_PROBE_TIMEOUT_S))
        except BrokerUnavailable as why:
            cause = f"No answer from Kafka at {self.config.brokers}: {why}"
            self._health.broker_failed(cause)
            if self._waiting_since is None and self._outage.cause is None and self._outage.begin(cause):
                log.warning("%s. Retrying.", cause)
            return False
        self._health.broker_answered()
        return self._waiting_since is None

    def request_stop(self) -> None:
        """Ask the loop to finish the batch in hand and shut down. Safe from a signal handler or any thread."""
        self._stop.request()

    @property
    def stop_requested(self) -> bool:
        return self._stop.requested

    def shutdown(self) -> None:
        """Commit what is acknowledged, leave the group and close, within config.shutdown_timeout_s."""
        self._health.stopped = True
        connection, self._connection = self._connection, None
        if self._in_flight is not None:  # not settled (the pump failed, or its budget is spent)
            self._in_hand = [*self._in_flight.records, *self._in_hand]
            self._in_flight = None
        try:
            if connection is not None:
                left = self._stop.time_left(self.config.ack_timeout_s) - CLOSE_RESERVE_S
                self._offsets.commit(connection.consumer, max(left, 0.1))
        except Unavailable as why:
            log.warning("Could not commit on shutdown (%s): those records are processed again after a restart.", why)
        finally:
            not_committed = self._offsets.not_committed(self._in_hand)
            if not_committed:
                log.warning(
                    "Not committed: %s. These records are processed again after a restart (at-least-once).",
                    "; ".join(not_committed),
                )
            self._offsets.forget_pending()  # not again while leaving the group
            if connection is not None:
                close(connection.consumer, connection.producer, self._stop, self.config)
            self._classifier.close()
            log.info("Pump stopped.")

    def health_components(self) -> Mapping[str, Mapping[str, object]]:
        """Spring-shaped health components: kafka, consumer, and the classifier's (remoteRouter)."""
        components = dict(self._health.components())
        components.update(self._classifier.health())
        return components

    def ready(self) -> bool:
        return self._health.ready()

    def seconds_since_progress(self) -> float | None:
        return self._health.seconds_since_progress()
