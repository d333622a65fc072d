"""LiveConfig: a refresh re-reads what a start reads, swaps in a changed chain, refuses what needs a restart,
and keeps the running chain on any problem; a validation lays properties over the running ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from pump.classifier import ChainClassifier, SwappableClassifier
from python_router.app import RouterApp
from python_router.live import LiveConfig
from sidecar.chain import ChainVersion
from transforms import Chain
from transforms.errors import ConfigError
from transforms.record import Record

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "connect-config" / "router.properties").read_text()


class Setup:
    """A chain file and an application properties file in tmp_path, and the app started over them."""

    def __init__(self, tmp_path: Path) -> None:
        self.chain = tmp_path / "router.properties"
        self.chain.write_text(SHIPPED)
        self.config = tmp_path / "application.properties"
        self.config.write_text("spring.cloud.stream.bindings.even.destination=evenDest\n")
        self.argv = [
            f"--router.chain.location={self.chain}",
            f"--spring.config.location={self.config}",
            "--spring.cloud.stream.bindings.input.destination=timeDest",
            "--spring.cloud.stream.bindings.odd.destination=oddDest",
        ]
        self.registry = CollectorRegistry()
        self.swapped: list[tuple[Chain, ChainVersion]] = []
        self.holder = SwappableClassifier(ChainClassifier(RouterApp.configure(self.argv, {}).chain))
        self.live = LiveConfig(
            RouterApp.configure(self.argv, {}),
            RouterApp.configure,
            self.registry,
            [lambda chain, version: self.swapped.append((chain, version)), self.swap_pump],
        )

    def swap_pump(self, chain: Chain, _version: ChainVersion) -> None:
        self.holder.swap(ChainClassifier(chain))

    def route(self, value: str) -> Record:
        outcome = self.holder.classify([Record(topic="timeDest", value=value.encode())])[0]
        assert isinstance(outcome, Record)
        return outcome

    def refreshes(self, outcome: str) -> float:
        value = self.registry.get_sample_value("python_router_config_refreshes_total", {"outcome": outcome})
        return value or 0.0


def test_nothing_changed_answers_no_keys_and_keeps_the_chain(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    assert setup.live.refresh() == []
    assert setup.swapped == []
    assert setup.refreshes("unchanged") == 1


def test_a_changed_chain_file_is_swapped_in_and_its_keys_answered(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    assert setup.route("05/17/19 17:56:36").value == b"Even timestamp: 05/17/19 17:56:36"
    setup.chain.write_text(SHIPPED.replace("Even timestamp: {value}", "EVEN {value}"))
    assert setup.live.refresh() == ["transforms.labelEven.template"]
    assert setup.route("05/17/19 17:56:36").value == b"EVEN 05/17/19 17:56:36"
    [(_chain, version)] = setup.swapped
    assert version.number == 2 == setup.live.version.number
    assert setup.refreshes("reloaded") == 1
    assert setup.registry.get_sample_value("python_router_chain_version") == 2


def test_chain_properties_from_a_properties_file_change_live_too(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    with setup.config.open("a") as config:
        config.write("transforms.parity.unit=minutes\n")
    assert setup.live.refresh() == ["transforms.parity.unit"]
    assert setup.route("05/17/19 17:57:36").topic == "oddDest"  # minute 57: odd


def test_an_invalid_change_lists_every_problem_and_keeps_the_running_chain(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.chain.write_text(
        SHIPPED.replace("transforms.parity.tombstones=drop", "transforms.parity.tombstones=keep").replace(
            "transforms.labelEven.predicate=toEven", "transforms.labelEven.predicate=toNowhere"
        )
    )
    with pytest.raises(ConfigError) as refused:
        setup.live.refresh()
    assert len(refused.value.problems) == 2, refused.value.problems
    assert "transforms.parity.tombstones" in refused.value.problems[0] + refused.value.problems[1]
    assert setup.swapped == []
    assert setup.route("05/17/19 17:56:36").value == b"Even timestamp: 05/17/19 17:56:36"
    assert setup.refreshes("refused") == 1
    # Fixed, it goes through, and only what differs from the running chain is answered.
    setup.chain.write_text(SHIPPED)
    assert setup.live.refresh() == []


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("spring.cloud.stream.bindings.even.destination=evens", "spring.cloud.stream.bindings.even.destination"),
        ("spring.cloud.stream.bindings.input.group=another", "spring.cloud.stream.bindings.input.group"),
        ("spring.cloud.stream.kafka.binder.brokers=elsewhere:9092", "spring.cloud.stream.kafka.binder.brokers"),
        ("errors.tolerance=none", "errors.tolerance"),
        ("server.port=9999", "server.port"),
    ],
)
def test_a_start_only_change_is_refused_saying_to_restart(tmp_path: Path, line: str, key: str) -> None:
    setup = Setup(tmp_path)
    with setup.config.open("a") as config:
        config.write(line + "\n")  # a later line of the same key wins, as in Java's Properties
    with pytest.raises(ConfigError) as refused:
        setup.live.refresh()
    [problem] = refused.value.problems
    assert problem.startswith(f"{key} changed from ")
    assert "restart the app to apply it" in problem
    assert setup.swapped == []


def test_a_restart_only_change_beside_a_chain_change_refuses_both(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.chain.write_text(SHIPPED.replace("Even timestamp: {value}", "EVEN {value}"))
    setup.config.write_text("spring.cloud.stream.bindings.even.destination=evens\n")
    with pytest.raises(ConfigError):
        setup.live.refresh()
    assert setup.swapped == []
    assert setup.route("05/17/19 17:56:36").value == b"Even timestamp: 05/17/19 17:56:36"


def test_an_invalid_chain_beside_a_start_only_change_lists_both(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    setup.chain.write_text(SHIPPED.replace("tombstones=drop", "tombstones=keep"))
    setup.config.write_text("spring.cloud.stream.bindings.even.destination=evens\n")
    with pytest.raises(ConfigError) as refused:
        setup.live.refresh()
    first, second = refused.value.problems
    assert first.startswith("Invalid value keep for configuration transforms.parity.tombstones")
    assert second.startswith("spring.cloud.stream.bindings.even.destination changed from evenDest to evens, ")
    assert setup.swapped == []


def test_a_secret_that_changes_is_masked_in_the_refusal(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    jaas = "spring.cloud.stream.kafka.binder.configuration.sasl.jaas.config"
    setup.config.write_text(f"spring.cloud.stream.bindings.even.destination=evenDest\n{jaas}=user=u password=hunter2\n")
    with pytest.raises(ConfigError) as refused:
        setup.live.refresh()
    assert "hunter2" not in " ".join(refused.value.problems)
    assert "******" in refused.value.problems[0]


def test_validate_lays_properties_over_the_running_ones_and_applies_nothing(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    answer = setup.live.validate(
        {"transforms.parity.unit": "minutes", "spring.cloud.stream.bindings.odd.destination": "x"}
    )
    assert answer["status"] == "valid"
    assert answer["bindings"] == {"input": "timeDest", "even": "evenDest", "odd": "x"}
    with pytest.raises(ConfigError) as refused:
        setup.live.validate({"transforms.parity.unit": "fortnights", "server.port": "-1"})
    assert len(refused.value.problems) == 2
    assert setup.swapped == []
    assert setup.live.refresh() == []  # validating changed nothing


def test_a_swap_during_a_batch_takes_effect_at_the_next_batch() -> None:
    """The holder is read once per batch: a chain swapped while a batch is classified does not touch it."""
    seen: list[str] = []

    class Labelling:
        def __init__(self, label: str, swap_after: int | None = None) -> None:
            self.label, self.swap_after, self.calls = label, swap_after, 0

        def apply(self, record: Record) -> Record | None:
            self.calls += 1
            if self.swap_after is not None and self.calls == self.swap_after:
                holder.swap(ChainClassifier(Labelling("new")))  # mid-batch, as a refresh thread would
            seen.append(self.label)
            return record

    holder = SwappableClassifier(ChainClassifier(Labelling("old", swap_after=2)))
    batch = [Record(topic="t", value=str(i).encode()) for i in range(5)]
    holder.classify(batch)
    assert seen == ["old"] * 5
    holder.classify(batch)
    assert seen == ["old"] * 5 + ["new"] * 5
