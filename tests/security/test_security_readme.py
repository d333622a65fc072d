"""The README's "Security" section stays true to the code: its place, its causes, its numbers, and the SCRAM
over TLS properties it points to are the ones tests/security runs with."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from pump.broker_trouble import REFUSED_RETRY_S, REPEAT_WINDOW_S, Cause
from scripts.local_kafka import LocalKafka
from tests.security.router_process import scram_over_tls

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def section(name: str) -> str:
    match = re.search(rf"<!-- section:{name}:begin -->(.*?)<!-- section:{name}:end -->", README, re.DOTALL)
    assert match, f"README.md has no {name} section (<!-- section:{name}:begin --> ... :end -->)"
    return match.group(1)


def test_the_section_follows_configuration() -> None:
    assert "<!-- section:configuration:end -->\n\n<!-- section:security:begin -->\n## Security" in README


def test_every_cause_the_pump_can_name_is_explained() -> None:
    text = section("security")
    for cause in typing.get_args(Cause):
        assert f"| `{cause}`" in text, f"README's Security section does not explain cause {cause}"


def test_its_numbers_are_those_of_the_code() -> None:
    text = section("security")
    assert f"Retrying every {REFUSED_RETRY_S:.0f}s." in text
    assert f"once per distinct line per {REPEAT_WINDOW_S:.0f} s" in text
    assert f"[5 more like this in the last {REPEAT_WINDOW_S:.0f}s]" in text


def test_the_scram_over_tls_properties_it_points_to_are_the_tested_ones() -> None:
    block = section("configuration").split("#### A secured cluster: SCRAM over TLS", 1)[1].split("```")[1]
    shown = {line.split("=", 1)[0].removeprefix("app.python-router.") for line in block.splitlines()}
    shown = {key for key in shown if key.startswith("spring.")}
    # The JAAS line arrives from the secret, as SPRING_CLOUD_STREAM_KAFKA_BINDER_CONFIGURATION_SASL_JAAS_CONFIG.
    assert "SPRING_CLOUD_STREAM_KAFKA_BINDER_CONFIGURATION_SASL_JAAS_CONFIG" in block
    tested = set(scram_over_tls(LocalKafka(sasl_ssl_port=9093), "user", "password"))
    assert shown == tested - {"spring.cloud.stream.kafka.binder.configuration.sasl.jaas.config"}
