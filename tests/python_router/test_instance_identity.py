"""The instance identity rule (python_router/instance_identity.py), router.delivery and the settings that
contradict exactly-once, as the entry point resolves them (RouterApp.configure)."""

from __future__ import annotations

import pytest

from python_router.app import RouterApp
from python_router.instance_identity import instance_identity
from python_router.settings import Settings
from spring_properties import SettingsError

BINDER = "spring.cloud.stream.kafka.binder"
GROUP = "--spring.cloud.stream.bindings.input.group=recipe"


def app(*argv: str, environ: dict[str, str] | None = None) -> RouterApp:
    return RouterApp.configure([GROUP, *argv], environ or {})


def test_an_instance_index_gives_the_app_and_index_as_group_instance_id() -> None:
    router = app("--spring.cloud.stream.instanceIndex=2", "--spring.application.name=router")
    assert router.pump_config.group_instance_id == "router-2"
    assert router.identity_notes == (
        "Static membership on: group.instance.id=router-2 (from spring.cloud.stream.instanceIndex)",
    )


@pytest.mark.parametrize("variable", ["INSTANCE_INDEX", "SPRING_APPLICATION_INDEX", "CF_INSTANCE_INDEX"])
def test_the_platforms_index_variables_count_as_an_index(variable: str) -> None:
    settings = Settings.resolve([GROUP], {variable: "1"})
    identity = instance_identity(settings, {variable: "1"})
    assert (identity.name, identity.origin) == ("python-router-1", f"environment {variable}")


def test_in_a_kubernetes_pod_the_host_name_is_the_identity() -> None:
    settings = Settings.resolve([GROUP], {})
    identity = instance_identity(settings, {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, hostname=lambda: "router-7c9f")
    assert identity.name == "router-7c9f"


def test_without_an_index_outside_kubernetes_static_membership_is_off_and_the_log_says_why() -> None:
    router = app()
    assert router.pump_config.group_instance_id is None
    (note,) = router.identity_notes
    assert note.startswith("Static membership off: no spring.cloud.stream.instanceIndex")
    assert "the host name may be shared by other processes on this machine" in note


def test_a_users_group_instance_id_wins_and_the_pump_adds_none() -> None:
    router = app("--spring.cloud.stream.instanceIndex=2", f"--{BINDER}.consumerProperties.group.instance.id=mine")
    assert router.pump_config.group_instance_id is None  # the user's is in the consumer settings already
    assert router.settings.binder.kafka.consumer["group_instance_id"] == "mine"
    assert router.identity_notes == ("Static membership on: group.instance.id=mine (group.instance.id as given)",)


def test_static_membership_can_be_turned_off() -> None:
    router = app("--spring.cloud.stream.instanceIndex=2", "--router.kafka.static-membership=false")
    assert router.pump_config.group_instance_id is None
    assert router.identity_notes == ("Static membership off: router.kafka.static-membership=false",)


def test_exactly_once_derives_a_transactional_id_from_app_group_and_instance() -> None:
    config = app("--router.delivery=exactly-once", "--spring.cloud.stream.instanceIndex=0").pump_config
    assert (config.delivery, config.transactional_id) == ("exactly-once", "python-router.recipe.python-router-0")


def test_exactly_once_without_an_identity_makes_one_per_start_and_says_what_that_costs() -> None:
    router = app("--router.delivery=exactly-once")
    tid = router.pump_config.transactional_id
    assert tid is not None and tid.startswith("python-router.recipe.")
    assert "new at each start" in router.identity_notes[1]
    assert "stays open until transaction.timeout.ms" in router.identity_notes[1]


def test_at_least_once_is_the_default_and_has_no_transactional_id() -> None:
    router = app()
    assert (router.pump_config.delivery, router.pump_config.transactional_id) == ("at-least-once", None)


def test_an_unknown_delivery_is_refused_naming_the_valid_ones() -> None:
    with pytest.raises(SettingsError, match=r"Invalid value exactly for configuration router.delivery: use at-least"):
        app("--router.delivery=exactly")


CLIENTS = pytest.mark.parametrize("client", ["kafka-python", "librdkafka"])


@CLIENTS
@pytest.mark.parametrize(
    ("setting", "named"),
    [
        (f"{BINDER}.producerProperties.acks=1", "contradicts acks=1: transactions need acks=all"),
        (f"{BINDER}.producerProperties.acks=0", "contradicts acks=0: transactions need acks=all"),
        (f"{BINDER}.configuration.enable.idempotence=false", "contradicts enable.idempotence=false"),
        (f"{BINDER}.consumerProperties.isolation.level=read_uncommitted", "isolation.level=read_uncommitted"),
        (f"{BINDER}.producerProperties.delivery.timeout.ms=120000", "delivery.timeout.ms=120000: a record must"),
    ],
)
def test_exactly_once_refuses_a_setting_that_contradicts_it_naming_it_on_either_client(
    setting: str, named: str, client: str
) -> None:
    with pytest.raises(SettingsError, match=named):
        app("--router.delivery=exactly-once", f"--router.kafka.client={client}", f"--{setting}")


@CLIENTS
@pytest.mark.parametrize("acks", ["all", "-1"])
def test_exactly_once_accepts_what_agrees_with_it_stated_explicitly(client: str, acks: str) -> None:
    config = app(
        "--router.delivery=exactly-once",
        f"--router.kafka.client={client}",
        f"--{BINDER}.producerProperties.acks={acks}",
        f"--{BINDER}.configuration.enable.idempotence=true",
        f"--{BINDER}.consumerProperties.isolation.level=read_committed",
        f"--{BINDER}.producerProperties.delivery.timeout.ms=60000",
    ).pump_config
    assert config.delivery == "exactly-once"


def test_exactly_once_on_librdkafka_gives_both_clients_what_transactions_need_in_its_terms() -> None:
    config = app(
        "--router.delivery=exactly-once", "--router.kafka.client=librdkafka", "--spring.cloud.stream.instanceIndex=0"
    ).pump_config
    producer, consumer = config.producer_configs(), config.consumer_configs()
    assert producer["transactional.id"] == "python-router.recipe.python-router-0"
    assert (producer["enable.idempotence"], producer["acks"]) == (True, -1)
    assert (consumer["isolation.level"], consumer["enable.auto.commit"]) == ("read_committed", False)


def test_at_least_once_on_librdkafka_keeps_kafkas_isolation_level_and_no_transactional_id() -> None:
    config = app("--router.kafka.client=librdkafka").pump_config
    assert "transactional.id" not in config.producer_configs()
    assert config.consumer_configs()["isolation.level"] == "read_uncommitted"


def test_on_librdkafka_the_index_gives_group_instance_id_in_its_terms() -> None:
    router = app("--spring.cloud.stream.instanceIndex=3", "--router.kafka.client=librdkafka")
    assert router.pump_config.consumer_configs()["group.instance.id"] == "python-router-3"


def test_on_librdkafka_a_users_group_instance_id_wins() -> None:
    argv = ("--spring.cloud.stream.instanceIndex=3", "--router.kafka.client=librdkafka")
    router = app(*argv, f"--{BINDER}.consumerProperties.group.instance.id=mine")
    assert router.pump_config.consumer_configs()["group.instance.id"] == "mine"
