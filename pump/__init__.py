"""The Kafka pump: at-least-once consume -> classify (the chain, in-process or via the sidecar) -> produce
-> commit, with Kafka Connect's error handling and Spring Cloud Stream's topic provisioning."""

from .classifier import ChainClassifier, Classifier, Outcome
from .config import (
    CONSUMER_DEFAULTS,
    DELIVERY,
    KAFKA_CLIENT,
    PRODUCER_DEFAULTS,
    PumpConfig,
    delivery_guarantee,
    kafka_client,
)
from .delivery import ErrorHandling
from .errors import (
    BrokerUnavailable,
    ClassifierUnavailable,
    Fenced,
    PumpError,
    RecordFailed,
    TopicsMissing,
    TopicsNotCreated,
    Unavailable,
)
from .loop import Pump
from .remote import RemoteClassifier

__all__ = [
    "CONSUMER_DEFAULTS",
    "DELIVERY",
    "KAFKA_CLIENT",
    "PRODUCER_DEFAULTS",
    "BrokerUnavailable",
    "ChainClassifier",
    "Classifier",
    "ClassifierUnavailable",
    "ErrorHandling",
    "Fenced",
    "Outcome",
    "Pump",
    "PumpConfig",
    "PumpError",
    "RecordFailed",
    "RemoteClassifier",
    "TopicsMissing",
    "TopicsNotCreated",
    "Unavailable",
    "delivery_guarantee",
    "kafka_client",
]
