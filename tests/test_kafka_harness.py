"""The broker harness works: a real round trip of 1,000 records through kafka-python."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

pytestmark = pytest.mark.kafka


def test_a_thousand_records_come_back_exactly_and_in_order(bootstrap: str) -> None:
    topic = f"harness-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics({topic: {"num_partitions": 1, "replication_factor": 1}}, wait_for_metadata=True)
    finally:
        admin.close()

    sent = [f"record-{i:04d}".encode() for i in range(1000)]
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        futures = [producer.send(topic, value) for value in sent]
        producer.flush()
        offsets = [future.get(timeout=10).offset for future in futures]
    finally:
        producer.close()
    assert offsets == list(range(1000))

    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    received: list[bytes] = []
    deadline = time.monotonic() + 30
    try:
        while len(received) < len(sent) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                received.extend(r.value for r in records)
        # Nothing more than what was sent arrives afterwards.
        received.extend(r.value for records in consumer.poll(timeout_ms=500).values() for r in records)
    finally:
        consumer.close()
    assert received == sent


def test_a_broker_that_cannot_start_says_why_with_its_log(tmp_path: Path) -> None:
    from scripts.local_kafka import BrokerError, LocalKafka, free_port

    broker = LocalKafka(state_dir=tmp_path, port=free_port(), extra_properties={"node.id": "not-a-number"})
    with pytest.raises(BrokerError, match=r"Formatting KRaft storage|exited with code") as failure:
        broker.start(timeout=60)
    assert "Invalid value not-a-number" in str(failure.value)
    assert broker.process is None


def test_a_cluster_id_never_starts_with_a_dash() -> None:
    # The storage tool reads "-..." as an option: one broker start in 64 used to fail that way.
    from scripts.local_kafka import new_cluster_id

    ids = [new_cluster_id() for _ in range(5000)]
    assert not any(i.startswith("-") for i in ids)
    assert all(len(i) == 22 for i in ids)
