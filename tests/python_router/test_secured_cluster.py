"""SCRAM over TLS against a real broker: the client settings SCDF users write reach kafka-python intact."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from python_router.settings import Settings
from scripts.local_kafka import DEFAULT_SCRAM_USERS, LocalKafka
from scripts.scdf_deployer import scdf_launch

pytestmark = pytest.mark.kafka
PREFIX = "spring.cloud.stream.kafka.binder"
USER, PASSWORD = next(iter(DEFAULT_SCRAM_USERS.items()))


@pytest.fixture
def secured_broker(secured_kafka_broker: LocalKafka) -> LocalKafka:
    """The session's SASL_SSL broker (tests/conftest.py), shared with tests/security."""
    return secured_kafka_broker


def scram_over_tls(broker: LocalKafka, mechanism: str = "SCRAM-SHA-512") -> dict[str, str]:
    return {
        f"{PREFIX}.brokers": f"SASL_SSL://{broker.sasl_ssl_bootstrap}",
        f"{PREFIX}.configuration.security.protocol": "SASL_SSL",
        f"{PREFIX}.configuration.sasl.mechanism": mechanism,
        f"{PREFIX}.configuration.ssl.truststore.location": str(broker.ca_file),
        f"{PREFIX}.configuration.ssl.truststore.type": "PEM",
        f"{PREFIX}.configuration.request.timeout.ms": "15000",
    }


def jaas(module: str, password: str = PASSWORD) -> str:
    return f'org.apache.kafka.common.security.{module} required username="{USER}" password="{password}";'


def shell_style(properties: Mapping[str, str], secret_env: Mapping[str, str]) -> Settings:
    """Resolve as the app would under SCDF's shell style, the JAAS line arriving from a k8s secret."""
    launch = scdf_launch("shell", properties, stream_name="secured", app_label="python-router")
    return Settings.resolve(launch.argv, {**launch.environ, **secret_env})


def test_scram_sha_512_over_tls_round_trip_with_the_settings_as_scdf_hands_them(secured_broker: LocalKafka) -> None:
    settings = shell_style(
        scram_over_tls(secured_broker),
        {"SPRING_CLOUD_STREAM_KAFKA_BINDER_CONFIGURATION_SASL_JAAS_CONFIG": jaas("scram.ScramLoginModule")},
    )
    assert settings.binder.kafka.admin["ssl_check_hostname"] is True  # the broker's certificate names 127.0.0.1
    topic = f"secured-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(**settings.binder.kafka.admin)
    try:
        admin.create_topics({topic: {"num_partitions": 1, "replication_factor": 1}}, wait_for_metadata=True)
    finally:
        admin.close()
    producer = KafkaProducer(**settings.binder.kafka.producer)
    try:
        producer.send(topic, b"05/17/19 17:56:36").get(timeout=30)
    finally:
        producer.close()
    consumer = KafkaConsumer(topic, group_id=settings.group, enable_auto_commit=False, **settings.binder.kafka.consumer)
    try:
        values = [r.value for batch in consumer.poll(timeout_ms=15000, max_records=1).values() for r in batch]
    finally:
        consumer.close(autocommit=False)
    assert values == [b"05/17/19 17:56:36"]


@pytest.mark.parametrize(
    ("mechanism", "credentials"),
    [
        ("SCRAM-SHA-256", {"sasl.jaas.config": jaas("scram.ScramLoginModule")}),
        ("PLAIN", {"sasl.jaas.config": jaas("plain.PlainLoginModule")}),
        ("SCRAM-SHA-512", {"sasl.username": USER, "sasl.password": PASSWORD}),
    ],
)
def test_other_mechanisms_and_credential_forms(
    secured_broker: LocalKafka, mechanism: str, credentials: Mapping[str, str]
) -> None:
    properties = {
        **scram_over_tls(secured_broker, mechanism),
        **{f"{PREFIX}.configuration.{k}": v for k, v in credentials.items()},
    }
    admin = KafkaAdminClient(**Settings.resolve([f"--{k}={v}" for k, v in properties.items()], {}).binder.kafka.admin)
    try:
        assert isinstance(admin.list_topics(), list)
    finally:
        admin.close()


def test_mutual_tls_with_a_pem_keystore_holding_key_and_chain(secured_broker: LocalKafka, tmp_path: Path) -> None:
    keystore = tmp_path / "client-keystore.pem"  # Kafka's PEM keystore: private key and certificate, one file
    tls = secured_broker.tls_dir
    keystore.write_text((tls / "client.key").read_text() + (tls / "client.pem").read_text())
    properties = {
        **scram_over_tls(secured_broker),
        f"{PREFIX}.configuration.sasl.jaas.config": jaas("scram.ScramLoginModule"),
        f"{PREFIX}.configuration.ssl.keystore.location": str(keystore),
        f"{PREFIX}.configuration.ssl.keystore.type": "PEM",
    }
    settings = Settings.resolve([f"--{k}={v}" for k, v in properties.items()], {})
    assert settings.binder.kafka.admin["ssl_certfile"] == str(keystore)
    admin = KafkaAdminClient(**settings.binder.kafka.admin)
    try:
        assert isinstance(admin.list_topics(), list)
    finally:
        admin.close()


def test_a_wrong_password_is_refused_by_the_broker(secured_broker: LocalKafka) -> None:
    properties = {
        **scram_over_tls(secured_broker),
        f"{PREFIX}.configuration.sasl.jaas.config": jaas("scram.ScramLoginModule", password="not-the-password"),
        f"{PREFIX}.configuration.request.timeout.ms": "5000",
    }
    settings = Settings.resolve([f"--{k}={v}" for k, v in properties.items()], {})
    log_offset = secured_broker.log_file.stat().st_size
    with pytest.raises(KafkaError):  # kafka-python only says it could not bootstrap; the broker says why
        KafkaAdminClient(bootstrap_timeout_ms=5000, **settings.binder.kafka.admin).close()
    with secured_broker.log_file.open(errors="replace") as log:
        log.seek(log_offset)
        assert "due to invalid credentials with SASL mechanism SCRAM-SHA-512" in log.read()


@pytest.mark.parametrize(
    ("mechanism", "credentials"),
    [
        ("SCRAM-SHA-512", {"sasl.jaas.config": jaas("scram.ScramLoginModule")}),
        ("SCRAM-SHA-256", {"sasl.jaas.config": jaas("scram.ScramLoginModule")}),
        ("PLAIN", {"sasl.jaas.config": jaas("plain.PlainLoginModule")}),
        ("SCRAM-SHA-512", {"sasl.username": USER, "sasl.password": PASSWORD}),
        ("SCRAM-SHA-512", {"sasl.jaas.config": jaas("scram.ScramLoginModule"), "ssl.keystore.type": "PEM"}),
    ],
)
def test_librdkafka_connects_with_the_same_properties(
    secured_broker: LocalKafka, tmp_path: Path, mechanism: str, credentials: Mapping[str, str]
) -> None:
    from confluent_kafka.admin import AdminClient

    configuration = dict(credentials)
    if "ssl.keystore.type" in configuration:  # mutual TLS: Kafka's PEM keystore, the key and its chain in one file
        keystore = tmp_path / "client-keystore.pem"
        tls = secured_broker.tls_dir
        keystore.write_text((tls / "client.key").read_text() + (tls / "client.pem").read_text())
        configuration["ssl.keystore.location"] = str(keystore)
    properties = {
        **scram_over_tls(secured_broker, mechanism),
        **{f"{PREFIX}.configuration.{k}": v for k, v in configuration.items()},
        "router.kafka.client": "librdkafka",
    }
    settings = Settings.resolve([f"--{k}={v}" for k, v in properties.items()], {})
    assert settings.binder.kafka.admin["sasl.mechanism"] == mechanism
    metadata = AdminClient(dict(settings.binder.kafka.admin)).list_topics(timeout=15)
    assert metadata.brokers, "connected over SASL_SSL with the broker's certificate verified"
