"""Spring's masking rule for secrets (issue 8): the one rule, in spring_properties/masking.py, that the
actuator, the startup log and every error message use."""

import pytest

from spring_properties import MASK, is_secret, mask_secrets, mask_url_passwords, mask_value


@pytest.mark.parametrize(
    "name",
    [
        "spring.cloud.stream.kafka.binder.configuration.sasl.jaas.config",
        "spring.cloud.stream.kafka.binder.configuration.ssl.truststore.password",
        "spring.cloud.stream.kafka.binder.configuration.ssl.key.password",
        "SPRING_CLOUD_STREAM_KAFKA_BINDER_CONFIGURATION_SSL_KEY_PASSWORD",
        "spring.cloud.stream.kafka.binder.configuration.ssl.keystore.location",  # `key`, as in Spring's rule
        "spring.cloud.stream.kafka.binder.configuration.key.serializer",
        "my.api.Token",
        "my.api-token",
        "client.secret",
        "client-secret",
        "aws.credentials.file",
        "aws.Credentials.file",
        "ssl.keystore.location",
        "SPRING_DATASOURCE_PASSWORD",
        "vcap_services",
        "VCAP_SERVICES",
        "sun.java.command",
    ],
)
def test_a_name_mentioning_a_secret_is_masked(name: str) -> None:
    assert is_secret(name)
    assert mask_secrets({name: "hunter2"}) == {name: MASK}


@pytest.mark.parametrize(
    "name",
    [
        "spring.cloud.stream.bindings.even.destination",
        "spring.cloud.stream.bindings.input.destination",
        "spring.cloud.stream.kafka.binder.brokers",
        "server.port",
        "spring.application.name",
    ],
)
def test_other_names_are_shown(name: str) -> None:
    assert not is_secret(name)
    assert mask_secrets({name: "evenDest"}) == {name: "evenDest"}


def test_masking_reaches_nested_mappings_and_lists() -> None:
    shown = mask_secrets({"kafka": {"brokers": ["a:9092"], "sasl": {"password": "p", "mechanism": "PLAIN"}}})
    assert shown == {"kafka": {"brokers": ["a:9092"], "sasl": {"password": MASK, "mechanism": "PLAIN"}}}


def test_a_password_in_a_url_is_masked_whatever_the_name() -> None:
    shown = mask_secrets({"brokers": "SASL_SSL://alice:wonderland@kafka:9093,kafka2:9093"})
    assert shown == {"brokers": f"SASL_SSL://alice:{MASK}@kafka:9093,kafka2:9093"}


def test_text_properties_stay_text_and_secrets_and_url_passwords_are_masked() -> None:
    masked = mask_secrets(
        {
            "spring.kafka.properties.sasl.jaas.config": "x required password='p';",
            "registry.url": "https://user:pa55@registry:8081/path",
            "spring.cloud.stream.bindings.even.destination": "evenDest",
        }
    )
    assert masked == {
        "spring.kafka.properties.sasl.jaas.config": MASK,
        "registry.url": f"https://user:{MASK}@registry:8081/path",
        "spring.cloud.stream.bindings.even.destination": "evenDest",
    }


def test_a_url_password_with_an_empty_user_is_masked() -> None:
    assert mask_url_passwords("redis://:s3cr3t@cache:6379/0") == f"redis://:{MASK}@cache:6379/0"
    assert mask_value("cache.url", "http://cache:6379/0") == "http://cache:6379/0"  # no password, nothing to mask


def test_the_original_is_untouched() -> None:
    original = {"password": "p"}
    mask_secrets(original)
    assert original == {"password": "p"}
