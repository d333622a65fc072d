"""The recipe's deployment properties, handed over as each SCDF entry-point style would, resolve alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from python_router.settings import Settings
from scripts.scdf_deployer import EntryPointStyle, deployment_properties_for, scdf_launch

DEPLOYMENT_FILE = Path(__file__).parents[2] / "connect-config" / "polyglot-python-app-deployment.properties"
STYLES: list[EntryPointStyle] = ["exec", "shell", "boot", "local"]
PLATFORM = {"SPRING_CLOUD_STREAM_KAFKA_BINDER_BROKERS": "kafka-broker:9092"}  # SCDF k8s server config


@pytest.fixture(scope="module")
def app_properties() -> dict[str, str]:
    return deployment_properties_for("python-router", DEPLOYMENT_FILE.read_text(encoding="utf-8")).app


def test_the_recipe_file_gives_python_router_its_wiring_and_nothing_of_the_other_apps(
    app_properties: dict[str, str],
) -> None:
    assert app_properties["spring.cloud.stream.bindings.input.destination"] == "timeDest"
    assert app_properties["spring.cloud.stream.bindings.even.destination"] == "evenDest"
    assert app_properties["spring.cloud.stream.bindings.odd.destination"] == "oddDest"
    assert "spring.cloud.stream.bindings.output.destination" not in app_properties  # the time source's


def test_deployer_properties_are_kept_apart() -> None:
    deployment = deployment_properties_for("python-router", DEPLOYMENT_FILE.read_text(encoding="utf-8"))
    assert deployment.deployer["kubernetes.livenessHttpProbePath"] == "/actuator/health/liveness"
    assert deployment.deployer["count"] == "1"
    assert not any(key.startswith("kubernetes.") for key in deployment.app)


@pytest.mark.parametrize("style", STYLES)
def test_every_entry_point_style_resolves_to_the_same_bindings(
    style: EntryPointStyle, app_properties: dict[str, str]
) -> None:
    launch = scdf_launch(
        style,
        app_properties,
        stream_name="timeStampStream",
        app_label="python-router",
        platform_environ=PLATFORM,
    )
    settings = Settings.resolve(launch.argv, launch.environ)
    assert dict(settings.binder.bindings) == {"input": "timeDest", "even": "evenDest", "odd": "oddDest"}
    assert settings.group == "timeStampStream-router"
    assert settings.binder.brokers == ("kafka-broker:9092",)
    assert settings.stream_name == "timeStampStream"
    assert settings.app_label == "python-router"
    assert settings.binder.start_offset == "earliest"
    assert settings.server.port == (34567 if style == "local" else 8080)


def test_exec_style_is_plain_key_value_arguments(app_properties: dict[str, str]) -> None:
    launch = scdf_launch("exec", app_properties, stream_name="timeStampStream", app_label="python-router")
    assert "--spring.cloud.stream.bindings.input.destination=timeDest" in launch.argv
    assert "SPRING_APPLICATION_JSON" not in launch.environ


def test_shell_style_is_upper_case_environment_variables(app_properties: dict[str, str]) -> None:
    launch = scdf_launch("shell", app_properties, stream_name="timeStampStream", app_label="python-router")
    assert launch.argv == []
    assert launch.environ["SPRING_CLOUD_STREAM_BINDINGS_EVEN_DESTINATION"] == "evenDest"


def test_boot_style_is_one_flat_spring_application_json(app_properties: dict[str, str]) -> None:
    launch = scdf_launch("boot", app_properties, stream_name="timeStampStream", app_label="python-router")
    document = json.loads(launch.environ["SPRING_APPLICATION_JSON"])
    assert document["spring.cloud.stream.bindings.odd.destination"] == "oddDest"


def test_local_deployer_sets_a_random_port_and_the_instance_variables(app_properties: dict[str, str]) -> None:
    launch = scdf_launch(
        "local", app_properties, stream_name="timeStampStream", app_label="python-router", server_port=45678
    )
    settings = Settings.resolve(launch.argv, launch.environ)
    assert settings.server.port == 45678
    assert settings.instance_index == 0
    assert settings.application_guid == "45678"  # the local deployer's guid is the port


def test_k8s_platform_variables_give_the_guid_and_stream_name() -> None:
    launch = scdf_launch("exec", {}, stream_name="timeStampStream", app_label="python-router", guid="pod-uid")
    settings = Settings.resolve([], launch.environ)  # only the platform's variables
    assert settings.application_guid == "pod-uid"
    assert settings.stream_name == "timeStampStream"  # from SPRING_CLOUD_APPLICATION_GROUP
    assert settings.group == "timeStampStream"


def test_compose_style_brokers_with_a_scheme_prefix(app_properties: dict[str, str]) -> None:
    properties = {**app_properties, "spring.cloud.stream.kafka.binder.brokers": "PLAINTEXT://kafka-broker:9092"}
    launch = scdf_launch("boot", properties, stream_name="timeStampStream", app_label="python-router")
    assert Settings.resolve(launch.argv, launch.environ).binder.brokers == ("kafka-broker:9092",)


def test_shell_style_keeps_dashes_and_relaxed_binding_still_finds_the_property() -> None:
    # SCDF's shell style only upper-cases and swaps dots: `auto-create-topics` keeps its dashes.
    properties = {"spring.cloud.stream.kafka.binder.auto-create-topics": "false"}
    launch = scdf_launch("shell", properties, stream_name="s", app_label="python-router")
    assert "SPRING_CLOUD_STREAM_KAFKA_BINDER_AUTO-CREATE-TOPICS" in launch.environ
    assert Settings.resolve(launch.argv, launch.environ).binder.auto_create_topics is False


def test_shell_style_chain_overrides_get_their_camel_case_aliases_back() -> None:
    properties = {
        "transforms": "parity,labelEven",
        "transforms.labelEven.template": "EVEN {value}",
        "predicates.isEven.pattern": "evenDest",
    }
    launch = scdf_launch("shell", properties, stream_name="s", app_label="python-router")
    settings = Settings.resolve(launch.argv, launch.environ)
    section = settings.section("transforms", "predicates", vocabulary=["isEven"])
    assert section == {
        "transforms": "parity,labelEven",
        "transforms.labelEven.template": "EVEN {value}",
        "predicates.isEven.pattern": "evenDest",
    }


def test_wildcard_deployment_properties_apply_unless_the_app_sets_its_own() -> None:
    text = "app.*.server.port=9000\napp.*.spring.application.name=all\napp.python-router.server.port=9100\n"
    assert deployment_properties_for("python-router", text).app == {
        "server.port": "9100",
        "spring.application.name": "all",
    }


def test_deployment_properties_unpack_as_app_then_deployer() -> None:
    app, deployer = deployment_properties_for("python-router", "app.python-router.a=1\ndeployer.python-router.count=2")
    assert (app, deployer) == ({"a": "1"}, {"count": "2"})
