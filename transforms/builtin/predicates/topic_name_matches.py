"""TopicNameMatches (Kafka Connect's): true for records whose topic matches a regex."""

from __future__ import annotations

from typing import ClassVar

from transforms.config import NO_DEFAULT, AllOf, Config, ConfigKey, ConfigSpec, NonEmptyString, Type
from transforms.java_regex import VALID_REGEX, compile_java_regex
from transforms.plugin import Predicate
from transforms.record import Record


class TopicNameMatches(Predicate):
    """A predicate which is true for records with a topic name that matches the configured regular expression.

    The whole topic must match (Java's `Matcher.matches()`).
    """

    CONFIG: ClassVar[ConfigSpec] = ConfigSpec(
        ConfigKey("pattern", Type.STRING, NO_DEFAULT,
                  "A Java regular expression for matching against the name of a record's topic.",
                  AllOf((NonEmptyString(), VALID_REGEX))),
    )  # fmt: skip

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._fullmatch = compile_java_regex(config.string("pattern")).fullmatch
        # A chain sees a handful of topic names, each for many records: each is matched once.
        self._seen: dict[str, bool] = {}

    def test(self, record: Record) -> bool:
        topic = record.topic
        matched = self._seen.get(topic)
        if matched is None:
            matched = self._fullmatch(topic) is not None
            if len(self._seen) < _REMEMBERED_TOPICS:
                self._seen[topic] = matched
        return matched


_REMEMBERED_TOPICS = 1024  # a chain that routes to more topic names than this matches the rest each time
