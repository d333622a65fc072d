"""/actuator/refresh while the pump routes on the real broker: a valid change switches the outputs once, at
a batch boundary, with no record lost and none routed by a mix of the two chains; an invalid one is refused
and the running chain goes on."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from kafka import KafkaProducer

from scripts.local_kafka import free_port
from tests.pump.kafka_tools import START, create_topic, read_all, timestamp
from tests.security.router_process import Router, exec_style, launch, topics

pytestmark = pytest.mark.kafka

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "connect-config" / "router.properties").read_text()
# The new chain changes the rule (parity of the minute, not the second) and both labels at once, so a record
# classified by half of each would show: a label of one chain on the topic the other chain picks.
NEW = (
    SHIPPED.replace("Even timestamp: {value}", "v2 even: {value}")
    .replace("Odd timestamp: {value}", "v2 odd: {value}")
    .replace("transforms.parity.tombstones=drop", "transforms.parity.tombstones=drop\ntransforms.parity.unit=minutes")
)
BROKEN = NEW.replace("unit=minutes", "unit=fortnights") + "transforms.labelOdd.negate=maybe\n"
RECORDS = 3000
RATE = 250  # records/s: about 12 s of input, many small batches


@pytest.fixture
def router(tmp_path: Path, bootstrap: str) -> Iterator[tuple[Router, dict[str, str], Path]]:
    chain = tmp_path / "router.properties"
    chain.write_text(SHIPPED)
    wiring = topics("reload")
    create_topic(bootstrap, wiring["spring.cloud.stream.bindings.input.destination"], partitions=1)
    port = free_port()
    properties = {
        **wiring,
        "spring.cloud.stream.kafka.binder.brokers": bootstrap,
        "router.chain.location": str(chain),
        "management.endpoints.web.exposure.include": "health,info,prometheus,refresh",
        "server.address": "127.0.0.1",
    }
    running = launch("router", exec_style(properties, port), tmp_path / "router.log", port=port)
    try:
        running.wait_ready()
        yield running, wiring, chain
    finally:
        running.stop()


def expected(i: int, chain: str) -> tuple[str, str]:
    """(binding, value) the old or the new chain gives the i-th timestamp."""
    text = timestamp(i).decode()
    moment = START + timedelta(seconds=i)
    even = (moment.second if chain == "old" else moment.minute) % 2 == 0
    if chain == "old":
        return ("even" if even else "odd", f"{'Even' if even else 'Odd'} timestamp: {text}")
    return ("even" if even else "odd", f"v2 {'even' if even else 'odd'}: {text}")


def test_refresh_switches_the_outputs_at_a_batch_boundary_and_loses_nothing(
    router: tuple[Router, dict[str, str], Path], bootstrap: str
) -> None:
    app, wiring, chain = router
    binding = {name: wiring[f"spring.cloud.stream.bindings.{name}.destination"] for name in ("input", "even", "odd")}
    sent = threading.Event()

    def produce() -> None:
        producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
        try:
            for i in range(RECORDS):
                producer.send(binding["input"], timestamp(i))
                time.sleep(1 / RATE)
        finally:
            producer.flush(30)
            producer.close()
            sent.set()

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        time.sleep(RECORDS / RATE / 3)
        chain.write_text(NEW)
        changed = httpx.post(f"{app.url}/actuator/refresh", timeout=60)
        assert changed.status_code == 200, changed.text
        assert changed.json() == [
            "transforms.labelEven.template",
            "transforms.labelOdd.template",
            "transforms.parity.unit",
        ]
        time.sleep(RECORDS / RATE / 3)
        chain.write_text(BROKEN)
        refused = httpx.post(f"{app.url}/actuator/refresh", timeout=60)
        assert refused.status_code == 400, refused.text
        assert len(refused.json()["problems"]) == 2
    finally:
        producer.join(120)
    assert sent.is_set()

    outputs: dict[int, tuple[str, str]] = {}
    duplicates = 0
    deadline = time.monotonic() + 90
    while len(outputs) < RECORDS and time.monotonic() < deadline:
        outputs.clear()
        duplicates = 0
        for name in ("even", "odd"):
            for record in read_all(bootstrap, binding[name]):
                value = record.value.decode()
                moment = datetime.strptime(value.split(": ", 1)[1], "%m/%d/%y %H:%M:%S")
                i = round((moment - START).total_seconds())
                duplicates += i in outputs and outputs[i] != (name, value)
                outputs[i] = (name, value)
        time.sleep(0.5)
    assert sorted(outputs) == list(range(RECORDS)), f"lost: {sorted(set(range(RECORDS)) - set(outputs))[:20]}"
    assert duplicates == 0

    versions = []
    for i in range(RECORDS):
        by = [chain_name for chain_name in ("old", "new") if expected(i, chain_name) == outputs[i]]
        assert by, f"record {i} was routed by neither chain whole: {outputs[i]}"
        versions.append(by[0] if outputs[i][1].startswith(("Even", "Odd")) else "new")
    switch = versions.index("new")
    assert 0 < switch < RECORDS - 1
    assert versions == ["old"] * switch + ["new"] * (RECORDS - switch), "the outputs switched back and forth"
    assert app.get("/actuator/info").json()["chainVersion"]["version"] == 2
    assert app.alive()
