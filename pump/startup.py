"""Startup: provision the topics, build the producer and the consumer, join the group; while the broker is
away or refuses us, say why (once per cause) and retry. Also the closing of what it built."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from .broker_trouble import REFUSED_RETRY_S
from .clients import (
    ConnectionTrouble,
    Consumer,
    KafkaClients,
    Producer,
    RebalanceListener,
    TopicSpec,
    TransactionalProducer,
)
from .config import CONSUMER_REQUIRED, PumpConfig
from .errors import BrokerUnavailable
from .health import PumpHealth
from .outage import Outage
from .signals import StopRequest
from .topics import ensure_topics

log = logging.getLogger("pump")


@dataclass(slots=True)
class Connection:
    """The pump's consumer and producer, once connected; with router.delivery=exactly-once the producer is
    also `transactional`."""

    consumer: Consumer
    producer: Producer
    transactional: TransactionalProducer | None = None


class Startup:
    """Connects the pump, retrying while the broker is away."""

    def __init__(
        self,
        config: PumpConfig,
        topics: list[TopicSpec],
        clients: KafkaClients,
        trouble: ConnectionTrouble,
        health: PumpHealth,
        outage: Outage,
        stop: StopRequest,
    ) -> None:
        self._config = config
        self._topics = topics
        self._clients = clients
        self._trouble = trouble
        self._health = health
        self._outage = outage
        self._stop = stop

    def connect(self, listener: RebalanceListener) -> Connection | None:
        """Create missing topics, then the producer and the consumer subscribed with `listener`, retrying
        while the broker is away; None when a stop is requested first."""
        config = self._config
        while not self._stop.requested:
            producer: Producer | None = None
            transactional: TransactionalProducer | None = None
            consumer: Consumer | None = None
            try:
                self._provision_topics()
                if config.exactly_once:
                    producer = transactional = self._clients.transactional_producer(config.producer_configs())
                else:
                    producer = self._clients.producer(config.producer_configs())
                consumer = self._clients.consumer(self._consumer_configs())
                consumer.subscribe([config.input_topic], listener)
                self._health.broker_answered()
                self._trouble.clear()
                log.info(
                    "Pumping %s -> %s as group %s", config.input_topic, ", ".join(config.output_topics), config.group_id
                )
                return Connection(consumer, producer, transactional)
            except BrokerUnavailable as why:
                close(consumer, producer, self._stop, config)
                self._health.broker_failed(str(why))
                self._stop.wait(self._retry_wait(why))
        return None

    def _retry_wait(self, why: BrokerUnavailable) -> float:
        """Log the cause once per outage cause; how long to wait before the next attempt."""
        trouble = self._trouble.explain()
        # Refused (credentials, certificate, protocol): a setting must change, so retry slowly.
        wait = self._outage.backoff(REFUSED_RETRY_S if trouble and trouble.refused else 0.0)
        brokers = self._config.brokers
        if self._outage.begin(trouble.reason if trouble else f"Kafka at {brokers} is unreachable"):
            if trouble is None:
                log.warning("Kafka at %s is unreachable (%s); retrying.", brokers, why)
            elif trouble.refused:
                log.error("%s. Retrying every %.0fs.", trouble.reason, wait)
            else:
                log.warning("%s; retrying.", trouble.reason)
        return wait

    def _provision_topics(self) -> None:
        admin = self._clients.admin(self._config.admin_configs())
        try:
            ensure_topics(admin, self._topics, auto_create=self._config.auto_create_topics)
        finally:
            admin.close()

    def _consumer_configs(self) -> dict[str, Any]:
        given = {**self._config.client, **self._config.consumer}
        for key, required in CONSUMER_REQUIRED.items():
            if key in given and given[key] != required:
                log.warning(
                    "Ignoring consumer setting %s=%r: the pump commits itself, after acknowledgement.", key, given[key]
                )
        return self._config.consumer_configs()


def close(consumer: Consumer | None, producer: Producer | None, stop: StopRequest, config: PumpConfig) -> None:
    """Leave the group and close both clients, within what remains of the shutdown budget; best effort (the
    broker evicts a silent member after session.timeout.ms anyway)."""
    if consumer is not None:
        try:
            consumer.close(stop.time_left(config.ack_timeout_s))
        except Exception as why:
            log.warning("Closing the consumer failed: %s", why)
    if producer is not None:
        try:
            producer.close(stop.time_left(config.shutdown_timeout_s))
        except Exception as why:
            log.warning("Closing the producer failed: %s", why)
