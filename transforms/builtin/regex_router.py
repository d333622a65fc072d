"""RegexRouter (Kafka Connect's): renames the topic with a regex and a `$1`-style replacement."""

from __future__ import annotations

from typing import ClassVar

from transforms.config import NO_DEFAULT, Config, ConfigKey, ConfigSpec, Type
from transforms.errors import DataError
from transforms.java_regex import VALID_REGEX, compile_java_regex, java_replacement
from transforms.plugin import Transformation
from transforms.record import Record


class RegexRouter(Transformation):
    """Update the record topic using the configured regular expression and replacement string.

    The regex must match the whole topic (Java's `Matcher.matches()`); then the topic becomes the
    replacement, where `$1` is group 1, `${name}` a named group and `\\$` a dollar. A topic the regex
    does not match is left alone. The replacement's group references are checked when the chain is built.
    """

    CONFIG: ClassVar[ConfigSpec] = ConfigSpec(
        ConfigKey("regex", Type.STRING, NO_DEFAULT, "Regular expression to use for matching.", VALID_REGEX),
        ConfigKey("replacement", Type.STRING, NO_DEFAULT, "Replacement string."),
    )

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._regex = compile_java_regex(config.string("regex"))
        try:
            self._template = java_replacement(config.string("replacement"), self._regex)
        except ValueError as exc:
            raise config.invalid("replacement", f"Invalid replacement: {exc}") from None

    def apply(self, record: Record) -> Record | None:
        match = self._regex.fullmatch(record.topic)
        if match is None:
            return record
        topic = match.expand(self._template)
        if not topic:
            raise DataError(
                f"RegexRouter turned topic {record.topic!r} into an empty topic name "
                f"(regex {self._regex.pattern!r}); change the replacement so it always names a topic"
            )
        return record.with_topic(topic)
