"""docs/security.md stays true to the code: its place in the site, its causes, its numbers, and the SCRAM over
TLS properties it shows are the ones tests/security runs with."""

from __future__ import annotations

import typing

import yaml

from pump.broker_trouble import REFUSED_RETRY_S, REPEAT_WINDOW_S, Cause
from scripts.local_kafka import LocalKafka
from tests.docs_pages import ROOT, code_blocks, page, section
from tests.security.router_process import scram_over_tls


def nav_pages(nav: list[typing.Any]) -> list[str]:
    pages: list[str] = []
    for entry in nav:
        target = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages.extend(nav_pages(target) if isinstance(target, list) else [target])
    return pages


def test_the_page_follows_configuration_in_the_navigation() -> None:
    pages = nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"])
    assert pages.index("security.md") == pages.index("configuration.md") + 1


def test_every_cause_the_pump_can_name_is_explained() -> None:
    text = section("docs/security.md", "When the connection is refused")
    for cause in typing.get_args(Cause):
        assert f"| `{cause}`" in text, f"docs/security.md does not explain cause {cause}"


def test_its_numbers_are_those_of_the_code() -> None:
    text = page("docs/security.md")
    assert f"Retrying every {REFUSED_RETRY_S:.0f}s." in text
    assert f"once per distinct line per {REPEAT_WINDOW_S:.0f} s" in text
    assert f"[5 more like this in the last {REPEAT_WINDOW_S:.0f}s]" in text


def test_the_scram_over_tls_properties_it_shows_are_the_tested_ones() -> None:
    (block,) = code_blocks(section("docs/security.md", "A secured cluster: SCRAM over TLS"), "properties")
    shown = {line.split("=", 1)[0].removeprefix("app.python-router.") for line in block.splitlines()}
    shown = {key for key in shown if key.startswith("spring.")}
    # The JAAS line arrives from the secret, as SPRING_CLOUD_STREAM_KAFKA_BINDER_CONFIGURATION_SASL_JAAS_CONFIG.
    assert "SPRING_CLOUD_STREAM_KAFKA_BINDER_CONFIGURATION_SASL_JAAS_CONFIG" in block
    tested = set(scram_over_tls(LocalKafka(sasl_ssl_port=9093), "user", "password"))
    assert shown == tested - {"spring.cloud.stream.kafka.binder.configuration.sasl.jaas.config"}
