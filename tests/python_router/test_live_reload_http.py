"""POST /actuator/refresh and /actuator/validate on a running python-router, and router.chain.watch with the
chain file mounted as Kubernetes mounts a ConfigMap (a `..data` symlink swapped on each update)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.local_kafka import free_port
from tests.security.router_process import Router, launch

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "connect-config" / "router.properties").read_text()
EXPOSED = "--management.endpoints.web.exposure.include=health,info,prometheus,refresh,validate"
EVEN = "05/17/19 17:56:36"


class ConfigMap:
    """A folder laid out as the kubelet mounts a ConfigMap: router.properties -> ..data/router.properties,
    ..data -> ..<version>; an update writes a new version folder and swaps ..data in one rename."""

    def __init__(self, folder: Path, text: str) -> None:
        self.folder = folder
        self.updates = 0
        self._version(text)
        (folder / "..data").symlink_to(f"..v{self.updates}")
        (folder / "router.properties").symlink_to("..data/router.properties")

    @property
    def path(self) -> Path:
        return self.folder / "router.properties"

    def _version(self, text: str) -> str:
        self.updates += 1
        version = self.folder / f"..v{self.updates}"
        version.mkdir()
        (version / "router.properties").write_text(text)
        return version.name

    def update(self, text: str) -> None:
        name = self._version(text)
        (self.folder / "..data_tmp").symlink_to(name)
        os.replace(self.folder / "..data_tmp", self.folder / "..data")


def start(tmp_path: Path, name: str, *arguments: str) -> Router:
    port = free_port()
    router = launch(
        name,
        ["--router.mode=sidecar", f"--server.port={port}", "--server.address=127.0.0.1", *arguments],
        tmp_path / f"{name}.log",
        port=port,
    )
    router.wait_until("readiness", lambda: router.get("/actuator/health/readiness").is_success, 60)
    return router


@pytest.fixture
def routers() -> Iterator[list[Router]]:
    started: list[Router] = []
    yield started
    for router in started:
        router.stop()


def route(router: Router, value: str) -> dict[str, object]:
    answer: dict[str, object] = httpx.post(f"{router.url}/route", content=value, timeout=10).json()
    return answer


def chain_version(router: Router) -> int:
    version: int = router.get("/actuator/info").json()["chainVersion"]["version"]
    return version


def test_refresh_and_validate_are_not_served_unless_exposed(tmp_path: Path, routers: list[Router]) -> None:
    router = start(tmp_path, "default-exposure")
    routers.append(router)
    assert httpx.post(f"{router.url}/actuator/refresh", timeout=10).status_code == 404
    assert httpx.post(f"{router.url}/actuator/validate", timeout=10).status_code == 404
    assert chain_version(router) == 1


def test_refresh_answers_the_changed_keys_and_refuses_an_invalid_change(tmp_path: Path, routers: list[Router]) -> None:
    chain = tmp_path / "router.properties"
    chain.write_text(SHIPPED)
    router = start(tmp_path, "refresh", EXPOSED, f"--router.chain.location={chain}")
    routers.append(router)
    links = router.get("/actuator").json()["_links"]
    assert {"refresh", "validate"} <= links.keys()

    assert httpx.post(f"{router.url}/actuator/refresh", timeout=30).json() == []
    chain.write_text(SHIPPED.replace("Even timestamp: {value}", "EVEN {value}"))
    answer = httpx.post(f"{router.url}/actuator/refresh", timeout=30)
    assert (answer.status_code, answer.json()) == (200, ["transforms.labelEven.template"])
    assert route(router, EVEN)["value"] == f"EVEN {EVEN}"
    assert chain_version(router) == 2
    assert "changed keys: transforms.labelEven.template" in router.text()

    chain.write_text(SHIPPED.replace("tombstones=drop", "tombstones=keep") + "transforms.labelOdd.negate=maybe\n")
    refused = httpx.post(f"{router.url}/actuator/refresh", timeout=30)
    assert refused.status_code == 400
    problem = refused.json()
    assert len(problem["problems"]) == 2, problem
    assert problem["message"].startswith(
        "The configuration was not reloaded; the running chain is unchanged: 2 problems"
    )
    assert route(router, EVEN)["value"] == f"EVEN {EVEN}"  # the running chain stays
    assert chain_version(router) == 2
    metrics = router.get("/actuator/prometheus").text
    for outcome in ("unchanged", "reloaded", "refused"):
        assert f'python_router_config_refreshes_total{{outcome="{outcome}"}} 1.0' in metrics
    assert "python_router_chain_version 2.0" in metrics


def test_validate_checks_properties_against_the_running_app(tmp_path: Path, routers: list[Router]) -> None:
    router = start(tmp_path, "validate", EXPOSED, "--spring.cloud.stream.bindings.even.destination=evenDest")
    routers.append(router)
    good = httpx.post(
        f"{router.url}/actuator/validate",
        content="transforms.parity.unit=minutes\nspring.cloud.stream.bindings.odd.destination=oddDest\n",
        headers={"content-type": "text/plain"},
        timeout=30,
    )
    assert good.status_code == 200, good.text
    assert good.json()["bindings"] == {"input": "input", "even": "evenDest", "odd": "oddDest"}
    assert [stage["alias"] for stage in good.json()["chain"]] == ["parity", "labelEven", "labelOdd"]
    bad = httpx.post(
        f"{router.url}/actuator/validate",
        json={"transforms.parity.unit": "fortnights", "server.port": "http", "errors.tolerance": "some"},
        timeout=30,
    )
    assert bad.status_code == 400
    assert len(bad.json()["problems"]) == 3, bad.json()
    assert route(router, EVEN)["topic"] == "evenDest"  # nothing was applied
    assert chain_version(router) == 1


def test_a_configmap_update_of_the_chain_file_is_reloaded(tmp_path: Path, routers: list[Router]) -> None:
    mount = tmp_path / "mount"
    mount.mkdir()
    configmap = ConfigMap(mount, SHIPPED)
    router = start(tmp_path, "watch", "--router.chain.watch=true", f"--router.chain.location={configmap.path}")
    routers.append(router)
    router.wait_until("the watcher", lambda: "Watching " in router.text(), 30)

    configmap.update(SHIPPED.replace("Even timestamp: {value}", "EVEN {value}"))
    router.wait_until("the reload of the updated ConfigMap", lambda: chain_version(router) == 2, 30)
    assert route(router, EVEN)["value"] == f"EVEN {EVEN}"
    assert "changed keys: transforms.labelEven.template" in router.text()

    configmap.update(SHIPPED.replace("Even timestamp: {value}", "EVEN {value}").replace("=drop", "=keep"))
    router.wait_until("the refusal of the bad update", lambda: "Refresh refused" in router.text(), 30)
    time.sleep(0.5)
    assert chain_version(router) == 2
    assert route(router, EVEN)["value"] == f"EVEN {EVEN}"
    assert router.alive()
