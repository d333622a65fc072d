"""A Kafka Connect-style single message transform (SMT) library: records, transforms, predicates,
and a chain built from Connect's properties syntax. Pure: no Kafka, no network."""

from transforms.chain import Chain, StageInfo, build_chain
from transforms.config import NO_DEFAULT, Config, ConfigKey, ConfigSpec, Type
from transforms.error_policy import ErrorPolicy
from transforms.errors import ConfigError, DataError, Failure, TransformError, TransformsError
from transforms.plugin import Predicate, Transformation
from transforms.properties import parse_properties
from transforms.record import Record

__all__ = [
    "NO_DEFAULT",
    "Chain",
    "Config",
    "ConfigError",
    "ConfigKey",
    "ConfigSpec",
    "DataError",
    "ErrorPolicy",
    "Failure",
    "Predicate",
    "Record",
    "StageInfo",
    "TransformError",
    "Transformation",
    "TransformsError",
    "Type",
    "build_chain",
    "parse_properties",
]
