"""Spring's masking rule for secrets (issue 8)."""

import pytest

from sidecar import MASK, is_secret, mask_secrets


@pytest.mark.parametrize(
    "name",
    [
        "spring.cloud.stream.kafka.binder.configuration.sasl.jaas.config",
        "spring.cloud.stream.kafka.binder.configuration.ssl.truststore.password",
        "SPRING_CLOUD_STREAM_KAFKA_BINDER_CONFIGURATION_SSL_KEY_PASSWORD",
        "my.api.Token",
        "client.secret",
        "aws.credentials.file",
        "ssl.keystore.location",
    ],
)
def test_a_name_mentioning_a_secret_is_masked(name: str) -> None:
    assert is_secret(name)
    assert mask_secrets({name: "hunter2"}) == {name: MASK}


@pytest.mark.parametrize(
    "name", ["spring.cloud.stream.bindings.even.destination", "server.port", "spring.application.name"]
)
def test_other_names_are_shown(name: str) -> None:
    assert mask_secrets({name: "evenDest"}) == {name: "evenDest"}


def test_masking_reaches_nested_mappings_and_lists() -> None:
    shown = mask_secrets({"kafka": {"brokers": ["a:9092"], "sasl": {"password": "p", "mechanism": "PLAIN"}}})
    assert shown == {"kafka": {"brokers": ["a:9092"], "sasl": {"password": MASK, "mechanism": "PLAIN"}}}


def test_a_password_in_a_url_is_masked_whatever_the_name() -> None:
    shown = mask_secrets({"brokers": "SASL_SSL://alice:wonderland@kafka:9093,kafka2:9093"})
    assert shown == {"brokers": f"SASL_SSL://alice:{MASK}@kafka:9093,kafka2:9093"}


def test_the_original_is_untouched() -> None:
    original = {"password": "p"}
    mask_secrets(original)
    assert original == {"password": "p"}
