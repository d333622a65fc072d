"""Spring's rule for secret properties, and keeping their values out of logs and error messages."""

from __future__ import annotations

import pytest

from python_router.secrets import MASK, is_secret, mask, scrub, secret_values


@pytest.mark.parametrize(
    "key",
    [
        "spring.cloud.stream.kafka.binder.configuration.sasl.jaas.config",
        "spring.cloud.stream.kafka.binder.configuration.ssl.key.password",
        "spring.cloud.stream.kafka.binder.configuration.ssl.keystore.location",  # `key`, as in Spring's rule
        "spring.cloud.stream.kafka.binder.configuration.key.serializer",
        "my.api-token",
        "aws.Credentials.file",
        "client-secret",
        "SPRING_DATASOURCE_PASSWORD",
        "vcap_services",
        "VCAP_SERVICES",
        "sun.java.command",
    ],
)
def test_secret_names(key: str) -> None:
    assert is_secret(key)


@pytest.mark.parametrize(
    "key",
    ["spring.cloud.stream.bindings.input.destination", "spring.cloud.stream.kafka.binder.brokers", "server.port"],
)
def test_ordinary_names(key: str) -> None:
    assert not is_secret(key)


def test_mask_hides_secret_values_and_uri_passwords() -> None:
    masked = mask(
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


def test_secret_values_include_the_password_inside_a_jaas_config_and_a_uri() -> None:
    values = secret_values(
        {
            "sasl.jaas.config": 'M required username="router" password="hun\\"ter22";',
            "broker.url": "sasl://u:s3cr3t@kafka:9092",
            "tiny.password": "ab",  # too short to scrub from free text without garbling it
            "flag.token.enabled": "true",
        }
    )
    assert 'hun"ter22' in values
    assert "s3cr3t" in values
    assert "ab" not in values and "true" not in values


def test_scrub_replaces_longest_first_and_masks_uri_passwords() -> None:
    jaas = 'M required username="router" password="hunter22";'
    text = f"bad config {jaas}; retry with hunter22 at http://u:pw1234@host/x"
    assert scrub(text, {jaas, "hunter22"}) == f"bad config {MASK}; retry with {MASK} at http://u:{MASK}@host/x"
