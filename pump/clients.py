"""The Kafka clients the pump uses, as protocols (so tests can stand in an in-memory broker), and the
kafka-python factory that builds the real ones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Protocol

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.partitioner.sticky import StickyPartitioner
from kafka.serializer import Serializer

from .topics import Admin


class Consumer(Protocol):
    """The part of kafka-python's KafkaConsumer the pump uses."""

    def subscribe(self, topics: list[str], listener: Any = ...) -> None: ...

    def poll(self, timeout_ms: int = ...) -> Mapping[Any, list[Any]]: ...

    def seek(self, partition: Any, offset: int) -> None: ...

    def commit(self, offsets: Mapping[Any, Any], timeout_ms: int | None = ...) -> None: ...

    def commit_async(self, offsets: Mapping[Any, Any]) -> Any: ...

    def highwater(self, partition: Any) -> int | None: ...

    def end_offsets(self, partitions: list[Any], timeout_ms: int | None = ...) -> Mapping[Any, int]: ...

    def close(self, autocommit: bool = ..., timeout_ms: int | None = ...) -> None: ...


class Producer(Protocol):
    """The part of kafka-python's KafkaProducer the pump uses."""

    def send(
        self,
        topic: str,
        value: Any = ...,
        key: bytes | None = ...,
        headers: list[tuple[str, bytes]] | None = ...,
        timestamp_ms: int | None = ...,
    ) -> Any: ...

    def flush(self, timeout: float | None = ...) -> None: ...

    def close(self, timeout: float | None = ...) -> None: ...


class KafkaClients(Protocol):
    """Builds the three clients from kafka-python keyword arguments."""

    def consumer(self, configs: Mapping[str, Any]) -> Consumer: ...

    def producer(self, configs: Mapping[str, Any]) -> Producer: ...

    def admin(self, configs: Mapping[str, Any]) -> Admin: ...


class _Tombstone:
    def __repr__(self) -> str:
        return "TOMBSTONE"


# kafka-python refuses send(value=None, key=None) ("Need at least one: key or value"), yet a record with
# neither is valid Kafka and must pass through (a keyless tombstone, dead-lettered as it came). Its
# check looks at the value before serialisation, so the pump sends this marker and the serializer below
# turns it back into a null value.
TOMBSTONE: Final = _Tombstone()


class NullableValue(Serializer):  # type: ignore[misc]  # kafka-python is untyped
    """Bytes as they are; TOMBSTONE as a null value."""

    def serialize(self, topic: str, headers: Any, value: Any) -> bytes | None:
        return None if value is TOMBSTONE else value


class KafkaPython:
    """The real clients."""

    def consumer(self, configs: Mapping[str, Any]) -> Consumer:
        return KafkaConsumer(**configs)  # type: ignore[no-any-return]

    def producer(self, configs: Mapping[str, Any]) -> Producer:
        return KafkaProducer(**{"partitioner": StickyPartitioner(), **configs, "value_serializer": NullableValue()})  # type: ignore[no-any-return]

    def admin(self, configs: Mapping[str, Any]) -> Admin:
        return KafkaAdminClient(**configs)  # type: ignore[no-any-return]
