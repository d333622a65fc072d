"""The password is shown nowhere. python-router runs in each SCDF entry-point style (exec, shell, boot, local)
against the secured broker with a distinctive password in sasl.jaas.config and in ssl.key.password (which
unlocks the client key of mutual TLS); every actuator answer, every error answer, its log, and the errors of
a bad startup are searched for the password, raw and encoded."""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest

from scripts.local_kafka import LocalKafka, free_port
from scripts.scdf_deployer import scdf_launch
from tests.security.router_process import BINDER, Router, jaas, launch, scram_over_tls, stop_all, topics

pytestmark = pytest.mark.kafka
USER = "sentinel"  # tests/conftest.py gives this user a distinctive password
STYLES = ("exec", "shell", "boot", "local")
PATHS_THAT_MUST_NOT_EXIST = [
    "/actuator/env",
    f"/actuator/env/{BINDER}.configuration.sasl.jaas.config",
    "/actuator/configprops",
    "/actuator/beans",
    "/actuator/heapdump",
    "/actuator/threaddump",
    "/actuator/loggers",
    "/actuator/mappings",
    "/actuator/metrics",
    "/actuator/startup",
    "/actuator/health/sasl",
]


def password(broker: LocalKafka) -> str:
    return broker.scram_users[USER]


def disguises(secret: str) -> dict[str, str]:
    """The password as it could leak: raw, in SASL PLAIN's auth bytes, base64, URL-encoded, JSON-escaped,
    and the JAAS line that carries it."""
    line = jaas(USER, secret)
    return {
        "raw": secret,
        "base64": base64.b64encode(secret.encode()).decode().rstrip("="),
        "base64 of PLAIN's auth bytes": base64.b64encode(f"\0{USER}\0{secret}".encode()).decode().rstrip("="),
        "url-encoded JAAS line": urllib.parse.quote(line),
        "JSON-escaped JAAS line": json.dumps(line)[1:-1],
        "hex": secret.encode().hex(),
    }


def assert_nowhere(secret: str, where: str, text: str) -> None:
    for form, shape in disguises(secret).items():
        assert shape not in text, f"the password ({form}) appears in {where}"


@pytest.fixture(scope="module")
def locked_keystore(secured_kafka_broker: LocalKafka, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kafka's PEM keystore: the client's private key, encrypted with the password, then its certificate."""
    where = tmp_path_factory.mktemp("locked-keystore")
    tls = secured_kafka_broker.tls_dir
    subprocess.run(
        ["openssl", "pkey", "-in", str(tls / "client.key"), "-aes256", "-out", "client.key",
         "-passout", f"pass:{password(secured_kafka_broker)}"],
        cwd=where, check=True, capture_output=True,
    )  # fmt: skip
    keystore = where / "keystore.pem"
    keystore.write_text((where / "client.key").read_text() + (tls / "client.pem").read_text())
    assert "ENCRYPTED PRIVATE KEY" in keystore.read_text()
    return keystore


def secured_properties(broker: LocalKafka, keystore: Path, style: str) -> dict[str, str]:
    secret = password(broker)
    return {
        **topics(f"secret-{style}"),
        **scram_over_tls(broker, USER, secret),
        f"{BINDER}.configuration.ssl.keystore.location": str(keystore),
        f"{BINDER}.configuration.ssl.keystore.type": "PEM",
        f"{BINDER}.configuration.ssl.key.password": secret,
    }


def start_in_style(style: str, properties: Mapping[str, str], log: Path) -> Router:
    port = free_port()
    launched = scdf_launch(
        style,  # type: ignore[arg-type]
        properties if style == "local" else {**properties, "server.port": str(port)},
        stream_name="secured",
        app_label=f"router-{style}",
        server_port=port,
    )
    return launch(style, launched.argv, log, launched.environ, port=port)


def exchange(router: Router) -> list[tuple[str, httpx.Response]]:
    """Every kind of answer the app gives: actuator pages, refusals of bad requests, unknown paths."""
    url = router.url
    answers: list[tuple[str, httpx.Response]] = []
    with httpx.Client(base_url=url, timeout=10) as http:
        for path in ("/actuator", "/actuator/info", "/actuator/health", "/actuator/health/kafka",
                     "/actuator/health/liveness", "/actuator/health/readiness", "/actuator/prometheus",
                     "/openapi.json", "/docs"):  # fmt: skip
            answers.append((f"GET {path}", http.get(path)))
        for path in PATHS_THAT_MUST_NOT_EXIST:
            answers.append((f"GET {path}", http.get(path)))
        answers.append(("POST /actuator/shutdown", http.post("/actuator/shutdown")))
        answers.append(("GET /route", http.get("/route")))
        json_headers = {"content-type": "application/json"}
        bad = {
            "400": http.post("/route", content=b'{"value": ', headers=json_headers),
            "413": http.post("/route", content=b"1" * (1024 * 1024 + 1), headers={"content-type": "text/plain"}),
            "415": http.post("/route", content=b"\x89PNG", headers={"content-type": "image/png"}),
            "422": http.post("/route", json={"value": "x", "value_base64": "eA==", "passwd": 1}),
            "422 batch": http.post("/route/batch", json={"records": [{"timestamp": "soon"}]}),
        }
        answers += [(f"POST /route ({expected})", response) for expected, response in bad.items()]
        answers.append(("POST /route", http.post("/route", content=b"05/17/19 17:56:36")))
    return answers


def test_the_password_is_in_no_answer_and_no_log_in_any_entry_point_style(
    secured_kafka_broker: LocalKafka, locked_keystore: Path, tmp_path: Path, kafka_client: str
) -> None:
    broker = secured_kafka_broker
    secret = password(broker)
    routers = [
        start_in_style(
            style,
            {**secured_properties(broker, locked_keystore, style), "router.kafka.client": kafka_client},
            tmp_path / f"{style}.log",
        )
        for style in STYLES
    ]
    try:
        answers = {}
        for router in routers:
            router.wait_ready()  # connected: the password and the key's password both worked
            answers[router.name] = exchange(router)
    finally:
        stop_all(routers)
    for router in routers:
        assert router.process.returncode == 0, router.tail()
        for what, response in answers[router.name]:
            shown = f"{response.status_code} {response.headers} {response.text}"
            assert_nowhere(secret, f"the {router.name}-style app's answer to {what}", shown)
        statuses = {what: response.status_code for what, response in answers[router.name]}
        assert all(statuses[f"GET {path}"] == 404 for path in PATHS_THAT_MUST_NOT_EXIST), statuses
        assert statuses["POST /actuator/shutdown"] in (404, 405)
        assert [statuses[f"POST /route ({code})"] for code in ("400", "413", "415", "422", "422 batch")] == [
            400, 413, 415, 422, 422,
        ]  # fmt: skip
        assert statuses["GET /actuator/health"] == 200 and statuses["POST /route"] == 200
        assert_nowhere(secret, f"the {router.name}-style app's log", router.text())


BAD_JAAS = f'{"org.apache.kafka.common.security.scram.ScramLoginModule"} required username="{USER}" password="%s"'


@pytest.mark.parametrize("style", STYLES)
def test_a_bad_secret_property_at_startup_is_reported_without_the_secret(
    secured_kafka_broker: LocalKafka, locked_keystore: Path, tmp_path: Path, style: str
) -> None:
    secret = password(secured_kafka_broker)
    properties = secured_properties(secured_kafka_broker, locked_keystore, style)
    properties[f"{BINDER}.configuration.sasl.jaas.config"] = BAD_JAAS % secret  # no closing `;`
    router = start_in_style(style, properties, tmp_path / f"{style}.log")
    assert router.process.wait(timeout=60) == 2, router.tail()
    shown = router.text()
    assert shown.startswith("python-router: invalid configuration: ")
    assert "JAAS config entry not terminated by semi-colon" in shown
    assert_nowhere(secret, f"the {style}-style startup error", shown)


def test_other_startup_errors_holding_the_password_do_not_show_it(
    secured_kafka_broker: LocalKafka, tmp_path: Path
) -> None:
    broker, secret = secured_kafka_broker, password(secured_kafka_broker)
    line = jaas(USER, secret)
    cases: dict[str, tuple[list[str], dict[str, str]]] = {
        "the JAAS line given twice": (
            [f"--{BINDER}.configuration.sasl.jaas.config={line}", f"--{BINDER}.configuration.sasl.jaas.config={line} "],
            {},
        ),
        "a password in the brokers' URL": (
            [f"--{BINDER}.brokers=SASL_SSL://{USER}:{secret}@{broker.sasl_ssl_bootstrap}"],
            {},
        ),
        "SPRING_APPLICATION_JSON that is not JSON": (
            [],
            {"SPRING_APPLICATION_JSON": json.dumps({f"{BINDER}.configuration.sasl.jaas.config": line})[:-1] + ",}"},
        ),
        "a JAAS line and sasl.password both set": (
            [
                f"--{BINDER}.configuration.security.protocol=SASL_SSL",
                f"--{BINDER}.configuration.sasl.mechanism=SCRAM-SHA-512",
                f"--{BINDER}.configuration.sasl.jaas.config={line}",
                f"--{BINDER}.configuration.sasl.password={secret}",
            ],
            {},
        ),
        "an environment variable with a bad JAAS line": (
            [f"--{BINDER}.configuration.security.protocol=SASL_SSL", f"--{BINDER}.configuration.sasl.mechanism=PLAIN"],
            {"SPRING_CLOUD_STREAM_KAFKA_BINDER_CONFIGURATION_SASL_JAAS_CONFIG": BAD_JAAS % secret},
        ),
    }
    routers = {
        name: launch(name, argv, tmp_path / f"case-{i}.log", env) for i, (name, (argv, env)) in enumerate(cases.items())
    }
    for name, router in routers.items():
        assert router.process.wait(timeout=60) == 2, f"{name}: {router.tail()}"
        assert router.text().startswith("python-router: invalid configuration: "), router.tail()
        assert_nowhere(secret, f"the startup error for {name}", router.text())
