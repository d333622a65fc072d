"""Startup: provision the topics, build the producer and the consumer, join the group; while the broker is
away or refuses us, say why (once per cause) and retry. Also the closing of what it built."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
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
from .topics import DEAD_LETTER_HEADROOM, provision

log = logging.getLogger("pump")

_PRODUCER_CLOSE_S = 0.3  # the least left to close the producer when the budget is nearly spent
# What closing both clients needs of a stop's budget: the shutdown's last commit leaves it to them (during an
# outage that commit waits its whole timeout, and the clients' closes then overran a 5 s budget by a second).
CLOSE_RESERVE_S = 1.0


@dataclass(slots=True)
class Connection:
    """The pump's consumer and producer, once connected; with router.delivery=exactly-once the producer is
    also `transactional`."""

    consumer: Consumer
    producer: Producer
    # The largest record each topic takes: its max.message.bytes, and no more than the producer's request.
    limits: dict[str, int] = field(default_factory=dict)
    transactional: TransactionalProducer | None = None  # the producer, with router.delivery=exactly-once


class Startup:
    """Connects the pump, retrying while the broker is away."""

    def __init__(
        self,
        config: PumpConfig,
        topics: list[TopicSpec],
        dead_letter_topic: str | None,
        clients: KafkaClients,
        trouble: ConnectionTrouble,
        health: PumpHealth,
        outage: Outage,
        stop: StopRequest,
    ) -> None:
        self._config = config
        self._topics = topics
        self._dead_letter_topic = dead_letter_topic
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
                topic_limits = self.provision_topics()
                producer_configs = self._producer_configs(topic_limits[config.input_topic])
                if config.exactly_once:
                    producer = transactional = self._clients.transactional_producer(producer_configs)
                else:
                    producer = self._clients.producer(producer_configs)
                consumer = self._clients.consumer(self._consumer_configs())
                consumer.subscribe([config.input_topic], listener)
                self._health.broker_answered()
                self._trouble.clear()
                log.info(
                    "Pumping %s -> %s as group %s", config.input_topic, ", ".join(config.output_topics), config.group_id
                )
                request = int(producer_configs[config.max_request_size_key])
                limits = {t: min(size, request) for t, size in topic_limits.items()}
                return Connection(consumer, producer, limits, transactional)
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

    def provision_topics(self) -> dict[str, int]:
        """Create the topics that are missing (also at run time, when one was deleted); returns the largest
        record each topic takes."""
        config = self._config
        admin = self._clients.admin(config.admin_configs())
        try:
            return provision(
                admin, self._topics, config.input_topic, self._dead_letter_topic, auto_create=config.auto_create_topics
            )
        finally:
            admin.close()

    def _producer_configs(self, input_limit: int) -> dict[str, Any]:
        """A request must hold any record the input takes, with a dead letter's headers (unless set)."""
        configs = self._config.producer_configs()
        key = self._config.max_request_size_key
        if key not in {**self._config.client, **self._config.producer}:
            configs[key] = max(int(configs[key]), input_limit + DEAD_LETTER_HEADROOM)
        return configs

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
            # Leaving the group is worth most of the budget, not all: the producer still has to let go.
            consumer.close(max(stop.time_left(config.ack_timeout_s) - _PRODUCER_CLOSE_S, 0.1))
        except Exception as why:
            log.warning("Closing the consumer failed: %s", why)
    if producer is not None:
        try:
            producer.close(stop.time_left(config.shutdown_timeout_s))
        except Exception as why:
            log.warning("Closing the producer failed: %s", why)
