"""Keeping secret values out of error messages and logs: the scrubbing half of spring_properties/masking.py."""

from __future__ import annotations

import pump.broker_trouble
import sidecar
import spring_properties
from spring_properties import MASK, scrub, secret_values


def test_one_rule_for_the_whole_app() -> None:
    assert sidecar.mask_value is spring_properties.mask_value
    assert pump.broker_trouble.MASK is spring_properties.MASK


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
