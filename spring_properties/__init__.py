"""Spring Boot's conventions for properties, for every part of python-router: the property sources in
Spring's precedence, relaxed names, Spring's booleans, durations and data sizes, the masking of secrets,
and configuration problems collected and reported at once."""

from .masking import MASK, is_secret, mask_secrets, mask_url_passwords, mask_value, scrub, secret_values
from .names import relaxed
from .problems import Problems, SettingsError, invalid_value
from .reader import PropertyReader
from .sources import Property, PropertySources, read_properties_file, read_sources
from .values import parse_boolean, parse_data_size, parse_duration_at_least, parse_duration_s

__all__ = [
    "MASK",
    "Problems",
    "Property",
    "PropertyReader",
    "PropertySources",
    "SettingsError",
    "invalid_value",
    "is_secret",
    "mask_secrets",
    "mask_url_passwords",
    "mask_value",
    "parse_boolean",
    "parse_data_size",
    "parse_duration_at_least",
    "parse_duration_s",
    "read_properties_file",
    "read_sources",
    "relaxed",
    "scrub",
    "secret_values",
]
