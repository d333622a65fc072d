"""Property resolution: sources and precedence, relaxed names, brokers, files, and every malformed case."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path

import pytest

from python_router.settings import Settings
from spring_properties import SettingsError

APPLICATION_PROPERTIES = Path(__file__).parents[2] / "connect-config" / "application.properties"
JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="router" password="hunter22";'


def resolve(
    *argv: str, env: Mapping[str, str] | None = None, files: Mapping[str, str | bytes] | None = None
) -> Settings:
    given = {path: text.encode("utf-8") if isinstance(text, str) else text for path, text in (files or {}).items()}
    return Settings.resolve(argv, env or {}, read_file=lambda path: given[path], exists=lambda path: path in given)


def error(*argv: str, env: Mapping[str, str] | None = None, files: Mapping[str, str | bytes] | None = None) -> str:
    with pytest.raises(SettingsError) as caught:
        resolve(*argv, env=env, files=files)
    assert len(caught.value.problems) == 1, caught.value.problems
    return caught.value.problems[0]


def application_json(document: object) -> dict[str, str]:
    return {"SPRING_APPLICATION_JSON": json.dumps(document)}


# --- defaults and precedence ----------------------------------------------------------------------


def test_defaults() -> None:
    settings = resolve()
    assert dict(settings.binder.bindings) == {"input": "input", "even": "even", "odd": "odd"}
    assert settings.binder.brokers == ("localhost:9092",)
    assert settings.group == "python-router"
    assert (settings.server.port, settings.server.host) == (8080, "0.0.0.0")
    assert (
        settings.binder.auto_create_topics,
        settings.binder.replication_factor,
        settings.binder.min_partition_count,
    ) == (True, -1, 1)
    assert (settings.instance_index, settings.instance_count, settings.binder.start_offset) == (0, 1, "earliest")
    assert settings.binder.kafka.consumer["security_protocol"] == "PLAINTEXT"


@pytest.mark.parametrize(
    ("argv", "env", "file", "port"),
    [
        (["--server.port=1"], {"SERVER_PORT": "3"} | application_json({"server.port": 2}), "server.port=4", 1),
        ([], {"SERVER_PORT": "3"} | application_json({"server.port": 2}), "server.port=4", 2),
        ([], {"SERVER_PORT": "3"}, "server.port=4", 3),
        ([], {}, "server.port=4", 4),
        ([], {}, "", 8080),
    ],
)
def test_precedence_arguments_then_json_then_environment_then_file_then_default(
    argv: Sequence[str], env: Mapping[str, str], file: str, port: int
) -> None:
    assert resolve(*argv, env=env, files={"/config/application.properties": file}).server.port == port


def test_relaxed_names_are_one_property_across_sources() -> None:
    settings = resolve(
        "--spring.cloud.stream.kafka.binder.auto-create-topics=false",
        env={"SPRING_CLOUD_STREAM_KAFKA_BINDER_AUTOCREATETOPICS": "true"},
    )
    assert settings.binder.auto_create_topics is False
    assert settings.get("spring.cloud.stream.kafka.binder.autoCreateTopics") == "false"
    assert resolve(env={"SPRING_CLOUD_STREAM_KAFKA_BINDER_AUTOCREATETOPICS": "no"}).binder.auto_create_topics is False


def test_spring_application_json_nested_or_flat_reads_the_same() -> None:
    nested = {"spring": {"cloud": {"stream": {"bindings": {"even": {"destination": "evenDest"}}}}}}
    flat = {"spring.cloud.stream.bindings.even.destination": "evenDest"}
    assert resolve(env=application_json(nested)).binder.bindings["even"] == "evenDest"
    assert resolve(env=application_json(flat)).binder.bindings["even"] == "evenDest"


def test_spring_application_json_values_become_text_like_spring() -> None:
    settings = resolve(
        env=application_json({"server": {"port": 9001}, "a": {"flag": True, "list": ["x", 2], "n": None}})
    )
    assert settings.server.port == 9001
    assert settings.raw["a.flag"] == "true"
    assert (settings.raw["a.list[0]"], settings.raw["a.list[1]"]) == ("x", "2")
    assert "a.n" not in settings.raw


def test_spring_application_json_as_an_argument_is_read_and_not_kept_as_a_property() -> None:
    settings = resolve('--spring.application.json={"server.port": 9002}')
    assert settings.server.port == 9002
    assert settings.get("spring.application.json") is None


def test_the_json_blob_itself_never_becomes_a_property() -> None:
    settings = resolve(env=application_json({"x.password": "p4ssw0rd"}))
    assert "SPRING_APPLICATION_JSON" not in str(settings.raw)
    assert settings.masked()["x.password"] == "******"


def test_unknown_properties_are_kept_and_ignored() -> None:
    settings = resolve("--some.future.setting=1", env={"SPRING_SOMETHING_ELSE": "x", "PATH": "/bin"})
    assert settings.raw["some.future.setting"] == "1"
    assert settings.raw["spring.something.else"] == "x"
    assert "path" not in settings.raw


# --- bindings and group ---------------------------------------------------------------------------


def test_any_binding_with_a_destination_is_known_and_looked_up_relaxed() -> None:
    settings = resolve(env={"SPRING_CLOUD_STREAM_BINDINGS_MYINPUT_DESTINATION": "extra"})
    assert settings.binder.bindings["myInput"] == "extra"
    assert list(settings.binder.bindings)[:3] == ["input", "even", "odd"]


@pytest.mark.parametrize(
    ("argv", "env", "group"),
    [
        (["--spring.cloud.stream.bindings.input.group=g", "--spring.cloud.dataflow.stream.name=s"], {}, "g"),
        (["--spring.cloud.dataflow.stream.name=s"], {"SPRING_CLOUD_APPLICATION_GROUP": "other"}, "s"),
        ([], {"SPRING_CLOUD_APPLICATION_GROUP": "timeStampStream"}, "timeStampStream"),
        (["--spring.application.name=router"], {}, "router"),
        (["--spring.cloud.stream.bindings.input.group="], {}, "python-router"),  # empty = not set
    ],
)
def test_group_falls_back_to_stream_name_then_app_name(argv: Sequence[str], env: Mapping[str, str], group: str) -> None:
    assert resolve(*argv, env=env).group == group


# --- brokers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "brokers"),
    [
        ("PLAINTEXT://kafka-broker:9092", ("kafka-broker:9092",)),
        ("SASL_SSL://b1:9093,SSL://b2", ("b1:9093", "b2:9092")),
        ("kafka", ("kafka:9092",)),
        (" a:1 , b ,", ("a:1", "b:9092")),
        ("[::1]:29092,[fe80::1]", ("[::1]:29092", "[fe80::1]:9092")),
    ],
)
def test_brokers(value: str, brokers: tuple[str, ...]) -> None:
    assert resolve(f"--spring.cloud.stream.kafka.binder.brokers={value}").binder.brokers == brokers


def test_brokers_from_the_platform_environment_variable_and_the_default_port() -> None:
    env = {
        "SPRING_CLOUD_STREAM_KAFKA_BINDER_BROKERS": "kafka-broker",
        "SPRING_CLOUD_STREAM_KAFKA_BINDER_DEFAULTBROKERPORT": "19092",
    }
    settings = resolve(env=env)
    assert settings.binder.brokers == ("kafka-broker:19092",)
    assert settings.binder.kafka.producer["bootstrap_servers"] == ["kafka-broker:19092"]


def test_bootstrap_servers_in_the_client_configuration_wins_as_in_spring() -> None:
    settings = resolve(
        "--spring.cloud.stream.kafka.binder.brokers=a:1",
        "--spring.cloud.stream.kafka.binder.configuration.bootstrap.servers=b:2",
    )
    assert settings.binder.brokers == ("b:2",)
    assert settings.binder.kafka.ignored == ()


# --- files ----------------------------------------------------------------------------------------


def test_the_k8s_indexed_deployment_file_gives_the_instance_index() -> None:
    files = {"/config/application.properties": "spring.cloud.stream.instanceIndex=2\n"}
    settings = resolve(files=files)
    assert settings.instance_index == 2
    assert settings.config_files == ("/config/application.properties",)


def test_instance_index_from_the_platforms_variables() -> None:
    assert resolve(env={"INSTANCE_INDEX": "3"}).instance_index == 3
    assert resolve(env={"SPRING_APPLICATION_INDEX": "4"}).instance_index == 4
    assert resolve("--spring.cloud.stream.instanceIndex=1", env={"INSTANCE_INDEX": "3"}).instance_index == 1


def test_config_location_lists_files_and_a_later_one_wins() -> None:
    files = {"/a.properties": "server.port=1\nspring.application.name=a", "/b/application.properties": "server.port=2"}
    settings = resolve("--spring.config.location=/a.properties,/b/,optional:/absent.properties", files=files)
    assert (settings.server.port, settings.app_name) == (2, "a")
    assert settings.config_files == ("/a.properties", "/b/application.properties")


def test_config_location_from_the_environment() -> None:
    files = {"/etc/router.properties": "server.port=7"}
    assert resolve(env={"SPRING_CONFIG_LOCATION": "/etc/router.properties"}, files=files).server.port == 7


def test_the_shipped_application_properties_match_the_built_in_defaults() -> None:
    text = APPLICATION_PROPERTIES.read_text(encoding="utf-8")
    with_file = resolve(files={"/config/application.properties": text})
    without = resolve()
    compared = [f.name for f in fields(Settings) if f.name not in ("config_files", "raw", "sources", "secrets")]
    assert {name: getattr(with_file, name) for name in compared if name != "bindings"} == {
        name: getattr(without, name) for name in compared if name != "bindings"
    }
    assert dict(with_file.binder.bindings) == dict(without.binder.bindings)


# --- the Kafka client settings reach the clients --------------------------------------------------


def test_client_configuration_and_role_properties() -> None:
    settings = resolve(
        "--spring.cloud.stream.kafka.binder.configuration.client.id=router",
        "--spring.cloud.stream.kafka.binder.consumerProperties.max.poll.records=50",
        "--spring.cloud.stream.kafka.bindings.input.consumer.configuration.max.poll.records=60",
        "--spring.cloud.stream.kafka.binder.producerProperties.linger.ms=5",
    )
    assert settings.binder.kafka.consumer["client_id"] == settings.binder.kafka.producer["client_id"] == "router"
    assert settings.binder.kafka.consumer["max_poll_records"] == 60  # the binding's own beats the binder's
    assert settings.binder.kafka.producer["linger_ms"] == 5
    assert "linger_ms" not in settings.binder.kafka.consumer


def test_client_settings_from_environment_variables() -> None:
    env = {
        "SPRING_CLOUD_STREAM_KAFKA_BINDER_CONFIGURATION_SECURITY_PROTOCOL": "SASL_SSL",
        "SPRING_CLOUD_STREAM_KAFKA_BINDER_CONFIGURATION_SASL_MECHANISM": "SCRAM-SHA-512",
        "SPRING_CLOUD_STREAM_KAFKA_BINDER_CONFIGURATION_SASL_JAAS_CONFIG": JAAS,
    }
    admin = resolve(env=env).binder.kafka.admin
    assert (admin["sasl_plain_username"], admin["sasl_plain_password"]) == ("router", "hunter22")


def test_start_offset_then_auto_offset_reset_then_earliest() -> None:
    latest = "--spring.cloud.stream.kafka.binder.configuration.auto.offset.reset=latest"
    assert resolve(latest).binder.start_offset == "latest"
    explicit = "--spring.cloud.stream.kafka.bindings.input.consumer.startOffset=earliest"
    settings = resolve(latest, explicit)
    assert settings.binder.start_offset == "earliest"
    assert settings.binder.kafka.consumer["auto_offset_reset"] == "earliest"


# --- secrets --------------------------------------------------------------------------------------


def test_secrets_are_masked_in_masked_and_absent_from_describe() -> None:
    settings = resolve(f"--spring.cloud.stream.kafka.binder.configuration.sasl.jaas.config={JAAS}")
    assert settings.masked()["spring.cloud.stream.kafka.binder.configuration.sasl.jaas.config"] == "******"
    assert "hunter22" not in json.dumps(settings.describe())
    assert settings.scrub("auth failed for password hunter22") == "auth failed for password ******"


def test_an_error_message_never_shows_a_secret_value_even_under_another_name() -> None:
    message = error(
        f"--spring.cloud.stream.kafka.binder.configuration.sasl.jaas.config={JAAS}", "--server.port=hunter22"
    )
    assert "hunter22" not in message
    assert "server.port" in message


# --- malformed properties: one line naming the property, the value and what to do ----------------


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (
            ["--spring.cloud.stream.bindings.input.destination"],
            {},
            "--spring.cloud.stream.bindings.input.destination has no value",
        ),
        (
            ["--spring.cloud.stream.bindings.input.destination="],
            {},
            "Invalid value  for configuration spring.cloud.stream.bindings.input.destination: the destination is empty",
        ),
        (["timeDest"], {}, "Unexpected command-line argument 'timeDest'"),
        (["--=x"], {}, "has no property name"),
        (["--server.port=1", "--server.port=2"], {}, "server.port is given twice"),
        ([], {"SPRING_APPLICATION_JSON": "{not json"}, "SPRING_APPLICATION_JSON is not valid JSON"),
        ([], {"SPRING_APPLICATION_JSON": "[1]"}, "SPRING_APPLICATION_JSON must be a JSON object"),
        (
            ["--server.port=http"],
            {},
            "Invalid value http for configuration server.port: Value must be a TCP port number from 0 to 65535 "
            "(0 picks a free port). (origin: command-line argument --server.port)",
        ),
        (
            [],
            {"SERVER_PORT": "70000"},
            "from 0 to 65535 (0 picks a free port). (origin: environment variable SERVER_PORT)",
        ),
        (
            ["--spring.cloud.stream.kafka.binder.brokers=kafka:abc"],
            {},
            "the port of broker 'kafka:abc' is not a number",
        ),
        (["--spring.cloud.stream.kafka.binder.brokers=:9092"], {}, "broker ':9092' has no valid host"),
        (["--spring.cloud.stream.kafka.binder.brokers= , "], {}, "no broker in it"),
        (["--spring.cloud.stream.kafka.binder.autoCreateTopics=maybe"], {}, "Value must be true or false"),
        (
            ["--spring.cloud.stream.kafka.binder.replicationFactor=0"],
            {},
            "Value must be -1 (the broker's default) or a whole number of at least 1.",
        ),
        (["--spring.cloud.stream.kafka.binder.minPartitionCount=0"], {}, "must be at least 1"),
        (["--spring.cloud.stream.instanceCount=x"], {}, "spring.cloud.stream.instanceCount"),
        ([], {"INSTANCE_INDEX": "first"}, "environment variable INSTANCE_INDEX"),
        (
            ["--spring.cloud.stream.kafka.bindings.input.consumer.startOffset=beginning"],
            {},
            "must be earliest or latest",
        ),
        (["--spring.cloud.stream.bindings.even.destination=even dest"], {}, "not a valid Kafka topic name"),
        (["--spring.cloud.stream.bindings.input.destination=a,b"], {}, "one topic per binding"),
        (["--spring.config.location=/nowhere.properties"], {}, "no file /nowhere.properties"),
        (["--spring.config.location=/config/application.yml"], {}, "reads .properties files only"),
        (
            ["--spring.cloud.stream.kafka.binder.configuration.request.timeout.ms=soon"],
            {},
            "Invalid value soon for configuration request.timeout.ms: Not a number of type INT",
        ),
        (
            ["--spring.cloud.stream.kafka.bindings.input.consumer.configuration.bootstrap.servers=x:1"],
            {},
            "cannot be set for one binding",
        ),
    ],
)
def test_malformed_properties_stop_startup_with_one_clear_line(
    argv: Sequence[str], env: Mapping[str, str], expected: str
) -> None:
    assert expected in error(*argv, env=env)


def test_a_kafka_client_error_names_the_property_as_the_user_wrote_it() -> None:
    message = error(
        "--spring.cloud.stream.kafka.binder.configuration.security.protocol=SSL",
        "--spring.cloud.stream.kafka.binder.configuration.ssl.truststore.location=/etc/kafka/truststore.jks",
    )
    assert "spring.cloud.stream.kafka.binder.configuration.ssl.truststore.location" in message
    assert "keytool -exportcert -rfc" in message
    assert "ssl.truststore.type=PEM" in message


def test_a_malformed_properties_file_line_is_named_without_its_content() -> None:
    files = {"/config/application.properties": "a=1\nx.password=se\\uZZZZcret\n"}
    message = error(files=files)
    assert "/config/application.properties line 2" in message
    assert "cret" not in message


def test_an_unreadable_file_is_named() -> None:
    def unreadable(path: str) -> bytes:
        raise PermissionError(13, "Permission denied", path)

    with pytest.raises(
        SettingsError, match=r"Cannot read properties file /config/application.properties \(Permission denied\)"
    ):
        Settings.resolve([], {}, read_file=unreadable, exists=lambda path: True)


def test_router_kafka_client_librdkafka_maps_the_client_settings_to_librdkafka() -> None:
    settings = resolve(
        "--router.kafka.client=librdkafka",
        "--spring.cloud.stream.kafka.binder.brokers=kafka:9092,kafka2",
        "--spring.cloud.stream.kafka.binder.consumerProperties.max.poll.records=60",
    )
    kafka = settings.binder.kafka
    assert settings.kafka_client == kafka.client == "librdkafka"
    assert kafka.consumer["bootstrap.servers"] == "kafka:9092,kafka2:9092"
    assert kafka.consumer["auto.offset.reset"] == "earliest"
    assert kafka.consumer["max.poll.records"] == 60
    assert settings.describe()["kafka_client"] == "librdkafka"
    assert resolve().binder.kafka.client == "kafka-python"
