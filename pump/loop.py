"""The pump: poll a batch, classify it, send the results, wait for the broker's acknowledgement of all of
them, then commit the batch's offsets (at-least-once); on trouble, rewind and retry. Each hard part has its
module: delivery.py (sending, acknowledgement, dead letters), offsets.py (commits, rewinds, rebalances),
startup.py (topics, clients, joining), signals.py (the stop request and its budget), pump/clients (the
Kafka client seam)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence

from prometheus_client import CollectorRegistry

from spring_properties.binder_names import AUTO_CREATE_TOPICS
from transforms.record import Record

from .classifier import Classifier
from .clients import KafkaClients, Partition, kafka_clients
from .config import PumpConfig
from .delivery import BatchDelivery, ErrorHandling
from .errors import (
    BrokerUnavailable,
    ClassifierUnavailable,
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
from .startup import Connection, Startup, close
from .topics import topic_specs
from .transactions import AtLeastOnce, BatchCommit, ExactlyOnce

log = logging.getLogger("pump")

_HOUSEKEEPING_INTERVAL_S = 1.0
_PROBE_TIMEOUT_S = 5.0
_RECREATE_INTERVAL_S = 5.0  # how often a missing topic is created again while a batch waits for it


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
        self._offsets = Offsets(config.input_topic, self._health, self._metrics, clock)
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
        self._in_hand: Sequence[Record] = ()  # polled, not yet acknowledged: rewound if the turn fails
        self._next_housekeeping = 0.0
        self._waiting_since: float | None = None  # when the batch in hand began to wait on the broker
        self._next_recreate = 0.0

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
        except RecordFailed as failed:
            self._health.fatal = str(failed)
            raise
        finally:
            self.shutdown()
            self._trouble.remove()
        return 0

    def _run_once(self, connection: Connection) -> bool:
        """One turn: poll a batch, classify it, send the results, await their acknowledgement, commit. True
        when it proved the broker works: records moved, a commit or a probe answered."""
        batch = self._poll(connection)
        moved = False
        if batch:
            started = self._clock()
            classified = classify_with_retries(self._classifier, batch, self._errors, self._stop.wait, self._clock)
            outcomes = self._batch_commit.begin(connection, batch, classified)
            self._waiting_since = self._clock()
            stop = self._delivery.deliver(connection.producer, connection.limits, batch, outcomes, self._between)
            self._waiting_since = None
            self._health.topics_missing = None
            if stop is None:
                self._in_hand = ()
                self._offsets.acknowledged(batch, resume_at=None)
            else:  # what precedes the stop is done; the stopped record is where a restart resumes
                self._in_hand = batch[stop.index :]
                self._offsets.acknowledged(batch[: stop.index], resume_at=batch[stop.index])
            self._batch_commit.commit(connection, self._stop.time_left(self.config.ack_timeout_s))
            self._metrics.batch_duration.observe(self._clock() - started)
            if stop is not None:
                record = batch[stop.index]
                raise RecordFailed(record.topic, record.partition or 0, record.offset or 0, stop.failure, stop.advice)
            moved = True
        elif self._offsets.pending:
            self._offsets.commit(connection.consumer, self._stop.time_left(self.config.ack_timeout_s))
            moved = True
        return self._housekeeping(connection) or moved

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

    def _poll(self, connection: Connection) -> list[Record]:
        batch = connection.consumer.poll(self.config.poll_timeout_ms / 1000)
        if batch.records:
            self._in_hand = batch.records
            fresh = self._offsets.polled(batch)
            self._health.broker_answered()
            self._health.consumed += fresh
            self._metrics.consumed.inc(fresh)
        return batch.records

    def _retry_later(self, why: Unavailable, connection: Connection) -> None:
        """Rewind what is not acknowledged, report the outage (once), and back off before the next turn."""
        self._offsets.rewind(connection.consumer, self._batch_commit.abort(connection, self._in_hand, why))
        self._in_hand = ()
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
        try:
            if connection is not None:
                self._offsets.commit(connection.consumer, self._stop.time_left(self.config.ack_timeout_s))
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
