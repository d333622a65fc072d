"""The registry of built-in transformations and predicates, by the short names `type=` accepts."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from transforms.builtin.drop_headers import DropHeaders
from transforms.builtin.filter import Filter
from transforms.builtin.insert_header import InsertHeader
from transforms.builtin.predicates.has_header_key import HasHeaderKey
from transforms.builtin.predicates.record_is_tombstone import RecordIsTombstone
from transforms.builtin.predicates.topic_name_matches import TopicNameMatches
from transforms.builtin.regex_router import RegexRouter
from transforms.builtin.timestamp_parity_router import TimestampParityRouter
from transforms.builtin.timestamp_router import TimestampRouter
from transforms.builtin.value_template import ValueTemplate
from transforms.plugin import Predicate, Transformation

TRANSFORMATIONS: Mapping[str, type[Transformation]] = MappingProxyType(
    {
        cls.__name__: cls
        for cls in (
            RegexRouter,
            TimestampRouter,
            InsertHeader,
            DropHeaders,
            Filter,
            TimestampParityRouter,
            ValueTemplate,
        )
    }
)

PREDICATES: Mapping[str, type[Predicate]] = MappingProxyType(
    {cls.__name__: cls for cls in (TopicNameMatches, HasHeaderKey, RecordIsTombstone)}
)

# The built-ins Kafka Connect also has, so a Connect configuration's class names work unchanged.
CONNECT_PACKAGES = {
    "org.apache.kafka.connect.transforms.": ("RegexRouter", "TimestampRouter", "InsertHeader", "DropHeaders", "Filter"),
    "org.apache.kafka.connect.transforms.predicates.": ("TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"),
}
