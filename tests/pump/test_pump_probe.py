"""The pump is the sidecar's PumpProbe: its health shows in /actuator/health, readiness follows its group."""

from __future__ import annotations

import threading
import time

import httpx

from pump import ChainClassifier, Pump, PumpConfig
from sidecar import PumpProbe, SidecarServer, SidecarSettings, create_app
from tests.pump.fake_kafka import FakeBroker, FakeClients
from tests.pump.recipe_chain import router


def test_the_sidecar_reports_the_pumps_health_and_readiness() -> None:
    broker = FakeBroker()
    broker.create_topic("timeDest")
    broker.produce("timeDest", b"05/17/19 17:56:36")
    chain = router()
    config = PumpConfig(group_id="recipe", input_topic="timeDest", output_topics=("evenDest", "oddDest"))
    pump = Pump(config, ChainClassifier(chain), chain.errors, clients=FakeClients(broker))
    probe: PumpProbe = pump  # structurally: the pump does not import sidecar
    settings = SidecarSettings(host="127.0.0.1", port=0)
    server = SidecarServer(create_app(chain, settings=settings, probe=probe), settings)
    server.start()
    runner = threading.Thread(target=pump.run)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            assert http.get("/actuator/health/readiness").status_code == 503  # not joined yet
            runner.start()
            deadline = time.monotonic() + 10
            while not pump.ready():
                assert time.monotonic() < deadline
                time.sleep(0.01)
            assert http.get("/actuator/health/readiness").json()["status"] == "UP"
            health = http.get("/actuator/health").json()
            assert health["status"] == "UP"
            consumer = health["components"]["consumer"]
            assert consumer["status"] == "UP"
            assert consumer["details"]["group"] == "recipe"
            assert consumer["details"]["assignment"] == ["timeDest-0"]
            assert health["components"]["kafka"]["details"]["brokers"] == "localhost:9092"
            assert health["components"]["livenessState"]["status"] == "UP"
    finally:
        pump.request_stop()
        if runner.is_alive():
            runner.join(10)
        server.stop()
    assert not pump.ready()
