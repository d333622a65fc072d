"""TimestampRouter (Kafka Connect's): renames the topic from the original topic and the record's timestamp."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

from transforms.config import Config, ConfigKey, ConfigSpec, Type
from transforms.errors import DataError
from transforms.java_date import VALID_DATE_PATTERN, JavaDatePattern
from transforms.plugin import Transformation
from transforms.record import Record

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TimestampRouter(Transformation):
    """Update the record's topic field as a function of the original topic value and the record timestamp.

    `${topic}` and `${timestamp}` in `topic.format` are replaced by the topic and by the record's
    timestamp formatted with `timestamp.format` in UTC. A record without a timestamp is a DataError.
    """

    CONFIG: ClassVar[ConfigSpec] = ConfigSpec(
        ConfigKey("topic.format", Type.STRING, "${topic}-${timestamp}",
                  "Format string which can contain `${topic}` and `${timestamp}` as placeholders for the topic "
                  "and timestamp, respectively."),
        ConfigKey("timestamp.format", Type.STRING, "yyyyMMdd",
                  "Format string for the timestamp that is compatible with `java.text.SimpleDateFormat`.",
                  VALID_DATE_PATTERN),
    )  # fmt: skip

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._topic_format = config.string("topic.format")
        self._timestamp_format = JavaDatePattern(config.string("timestamp.format"))

    def apply(self, record: Record) -> Record | None:
        if record.timestamp is None:
            raise DataError(
                f"Timestamp missing on record (topic {record.topic!r}, partition {record.partition}, "
                f"offset {record.offset}): TimestampRouter needs the record's timestamp"
            )
        try:
            moment = _EPOCH + timedelta(milliseconds=record.timestamp)
        except OverflowError:
            raise DataError(
                f"Timestamp {record.timestamp} ms on topic {record.topic!r} is outside the years 1-9999"
            ) from None
        formatted = self._timestamp_format.format(moment)
        topic = self._topic_format.replace("${topic}", record.topic).replace("${timestamp}", formatted)
        return record.with_topic(topic)
