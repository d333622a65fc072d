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

    def test(self, record: Record) -> bool:
        return self._fullmatch(record.topic) is not None
