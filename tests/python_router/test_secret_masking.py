"""Keeping secret values out of error messages and logs (python_router.secrets). Which names are secret is
Spring's rule, tested with sidecar/secrets.py in tests/sidecar/test_sidecar_secrets.py."""

from __future__ import annotations

import python_router.secrets
import sidecar.secrets
from python_router.secrets import MASK, scrub, secret_values


def test_one_rule_for_the_whole_app() -> None:
    assert python_router.secrets.is_secret is sidecar.secrets.is_secret
    assert python_router.secrets.mask_value is sidecar.secrets.mask_value
    assert python_router.secrets.mask is sidecar.secrets.mask_secrets


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
