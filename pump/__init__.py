"""The Kafka pump: at-least-once consume -> classify (the chain, in-process or via the sidecar) -> produce
-> commit, with Kafka Connect's error handling and Spring Cloud Stream's topic provisioning."""

from .classifier import ChainClassifier, Classifier, Outcome
from .config import CONSUMER_DEFAULTS, PRODUCER_DEFAULTS, PumpConfig
from .errors import (
    BrokerUnavailable,
    ClassifierUnavailable,
    PumpError,
    RecordFailed,
    TopicsMissing,
    TopicsNotCreated,
    Unavailable,
)
from .loop import ErrorHandling, Pump
from .remote import RemoteClassifier

__all__ = [
    "CONSUMER_DEFAULTS",
    "PRODUCER_DEFAULTS",
    "BrokerUnavailable",
    "ChainClassifier",
    "Classifier",
    "ClassifierUnavailable",
    "ErrorHandling",
    "Outcome",
    "Pump",
    "PumpConfig",
    "PumpError",
    "RecordFailed",
    "RemoteClassifier",
    "TopicsMissing",
    "TopicsNotCreated",
    "Unavailable",
]
