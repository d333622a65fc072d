"""Kafka's client property names mapped to kafka-python's arguments, and the settings it cannot honour."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor

from python_router import kafka_config
from python_router.kafka_config import (
    ClientSettingError,
    ClientSettings,
    client_settings,
    parse_jaas_config,
)

SCRAM = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="router" password="hunter22";'
PLAIN = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p w";'
SCRAM_OVER_TLS = {
    "security.protocol": "SASL_SSL",
    "sasl.mechanism": "SCRAM-SHA-512",
    "sasl.jaas.config": SCRAM,
    "ssl.truststore.location": "/etc/kafka/ca.pem",
    "ssl.truststore.type": "PEM",
}


def settings(**configuration: str) -> ClientSettings:
    return client_settings({k.replace("_", "."): v for k, v in configuration.items()})


def failure(configuration: Mapping[str, str]) -> str:
    with pytest.raises(ClientSettingError) as caught:
        client_settings(configuration)
    return str(caught.value)


def ignored(result: ClientSettings) -> dict[str, str]:
    return {item.key: item.reason for item in result.ignored}


def test_nothing_configured_is_plaintext_for_every_client() -> None:
    result = client_settings({}, bootstrap_servers=["kafka:9092"])
    for kwargs in (result.consumer, result.producer, result.admin):
        assert kwargs == {"security_protocol": "PLAINTEXT", "bootstrap_servers": ["kafka:9092"]}


def test_scram_over_tls_maps_for_the_consumer_the_producer_and_the_admin_alike() -> None:
    result = client_settings(SCRAM_OVER_TLS)
    expected = {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "router",  # kafka-python's names for SCRAM credentials too
        "sasl_plain_password": "hunter22",
        "ssl_cafile": "/etc/kafka/ca.pem",
        "ssl_check_hostname": True,
    }
    assert result.consumer == result.producer == result.admin == expected
    assert result.ignored == ()


def test_plain_login_module_with_a_quoted_password() -> None:
    result = client_settings(
        {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.jaas.config": PLAIN}
    )
    assert (result.producer["sasl_plain_username"], result.producer["sasl_plain_password"]) == ("u", "p w")


def test_librdkafka_style_username_and_password_are_accepted() -> None:
    result = client_settings(
        {"security.protocol": "SASL_SSL", "sasl.mechanism": "scram-sha-256", "sasl.username": "u", "sasl.password": "p"}
    )
    assert result.consumer["sasl_mechanism"] == "SCRAM-SHA-256"
    assert result.consumer["sasl_plain_password"] == "p"


def test_every_kwarg_is_one_the_kafka_python_client_has() -> None:
    everything = {
        **SCRAM_OVER_TLS,
        "ssl.keystore.location": "/etc/kafka/client.pem",
        "ssl.keystore.type": "PEM",
        "ssl.key.password": "k",
        "ssl.crlfile": "/etc/kafka/crl.pem",
        **{
            key: "1"
            for key, spec in kafka_config._SETTINGS.items()
            if spec.convert is not kafka_config._boolean and isinstance(spec.kafka_python, kafka_config._Form)
        },
        "client.id": "router",
        "acks": "all",
        "compression.type": "gzip",
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "client.dns.lookup": "use_all_dns_ips",
        "partition.assignment.strategy": "org.apache.kafka.clients.consumer.RangeAssignor",
        "enable.idempotence": "true",
        "check.crcs": "true",
        "exclude.internal.topics": "true",
        "allow.auto.create.topics": "false",
    }
    result = client_settings(everything, bootstrap_servers=["kafka:9092"])
    for kwargs, client in (
        (result.consumer, KafkaConsumer),
        (result.producer, KafkaProducer),
        (result.admin, KafkaAdminClient),
    ):
        unknown = set(kwargs) - set(client.DEFAULT_CONFIG)
        assert not unknown, f"{client.__name__} has no {unknown}"
    assert result.ignored == ()


def test_common_settings_reach_every_client_and_role_settings_only_theirs() -> None:
    result = client_settings(
        {"client.id": "r", "request.timeout.ms": "5000", "max.poll.records": "10", "linger.ms": "5", "acks": "1"}
    )
    assert result.admin == {"security_protocol": "PLAINTEXT", "client_id": "r", "request_timeout_ms": 5000}
    assert result.consumer["max_poll_records"] == 10 and "linger_ms" not in result.consumer
    assert (result.producer["linger_ms"], result.producer["acks"]) == (5, 1)
    assert "max_poll_records" not in result.producer


def test_role_properties_override_the_common_configuration_for_that_role() -> None:
    result = client_settings({"client.id": "all"}, consumer={"client.id": "c"}, producer={"linger.ms": "2"})
    assert (result.consumer["client_id"], result.producer["client_id"], result.admin["client_id"]) == (
        "c",
        "all",
        "all",
    )


@pytest.mark.parametrize(("given", "expected"), [("all", "all"), ("-1", "all"), ("0", 0), ("1", 1)])
def test_acks(given: str, expected: object) -> None:
    assert client_settings({"acks": given}).producer["acks"] == expected


def test_kafka_minus_one_buffer_means_the_os_default() -> None:
    assert client_settings({"send.buffer.bytes": "-1"}).admin["send_buffer_bytes"] is None


def test_assignors_map_to_kafka_python_classes() -> None:
    value = "org.apache.kafka.clients.consumer.StickyAssignor, org.apache.kafka.clients.consumer.RangeAssignor"
    strategy = client_settings({"partition.assignment.strategy": value}).consumer["partition_assignment_strategy"]
    assert strategy == (StickyPartitionAssignor, RangePartitionAssignor)


def test_hostname_verification_can_be_turned_off_as_in_kafka() -> None:
    result = client_settings({"security.protocol": "SSL", "ssl.endpoint.identification.algorithm": ""})
    assert result.consumer["ssl_check_hostname"] is False


def test_mutual_tls_with_a_pem_keystore_holding_key_and_chain() -> None:
    result = client_settings(
        {
            "security.protocol": "SSL",
            "ssl.keystore.location": "/etc/kafka/client.pem",
            "ssl.keystore.type": "PEM",
            "ssl.key.password": "secret",
        }
    )
    assert result.producer["ssl_certfile"] == "/etc/kafka/client.pem"
    assert "ssl_keyfile" not in result.producer  # Python reads the key from the same file
    assert result.producer["ssl_password"] == "secret"


def test_kafka_python_style_file_names_are_accepted() -> None:
    result = client_settings(
        {"security.protocol": "SSL", "ssl.cafile": "/ca.pem", "ssl.certfile": "/c.pem", "ssl.keyfile": "/k.pem"}
    )
    assert (result.admin["ssl_cafile"], result.admin["ssl_certfile"], result.admin["ssl_keyfile"]) == (
        "/ca.pem",
        "/c.pem",
        "/k.pem",
    )


def test_codec_without_its_library_is_a_startup_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(kafka_config._CODECS, "zstd", (lambda: False, "the zstandard package"))
    assert "needs the zstandard package for zstd: install it, or use gzip or none" in failure(
        {"compression.type": "zstd"}
    )
    assert client_settings({"compression.type": "none"}).producer["compression_type"] is None


# --- ignored, with a reason the startup log can print ---------------------------------------------


def test_settings_no_kafka_python_client_uses_are_ignored_with_a_reason() -> None:
    result = client_settings(
        {
            "key.serializer": "org.apache.kafka.common.serialization.ByteArraySerializer",
            "enable.auto.commit": "true",
            "some.future.setting": "1",
        },
        consumer={"linger.ms": "5"},
    )
    reasons = ignored(result)
    assert "Java (de)serializer classes do not apply" in reasons["key.serializer"]
    assert "commits offsets itself" in reasons["enable.auto.commit"]
    assert reasons["some.future.setting"] == "not a setting kafka-python's clients have"
    assert reasons["linger.ms"] == "not a consumer setting (it applies to producer)"


def test_tls_and_sasl_settings_without_the_protocol_to_use_them_are_ignored_not_errors() -> None:
    result = client_settings({"ssl.truststore.location": "/x.jks", "sasl.mechanism": "GSSAPI"})
    reasons = ignored(result)
    assert reasons["ssl.truststore.location"].startswith("security.protocol is PLAINTEXT")
    assert reasons["sasl.mechanism"].startswith("security.protocol is PLAINTEXT")


def test_tls_settings_of_java_only_are_ignored() -> None:
    reasons = ignored(
        client_settings(
            {
                "security.protocol": "SSL",
                "ssl.enabled.protocols": "TLSv1.2,TLSv1.3",
                "ssl.protocol": "TLSv1.3",
                "ssl.trustmanager.algorithm": "PKIX",
            }
        )
    )
    assert reasons["ssl.enabled.protocols"] == "kafka-python negotiates TLS 1.2 or 1.3 and never anything older"
    assert "JSSE" in reasons["ssl.trustmanager.algorithm"]


# --- what cannot be honoured is a startup error that says what to use instead ---------------------


@pytest.mark.parametrize(
    ("configuration", "expected"),
    [
        ({"security.protocol": "TLS"}, "Invalid value TLS for configuration security.protocol: String must be one of"),
        ({"security.protocol": "SSL", "ssl.truststore.location": "/t.jks"}, "so Kafka reads it as JKS"),
        (
            {"security.protocol": "SSL", "ssl.truststore.location": "/t.p12", "ssl.truststore.type": "PKCS12"},
            "openssl pkcs12 -in truststore.p12 -nokeys -out ca.pem",
        ),
        (
            {"security.protocol": "SSL", "ssl.keystore.location": "/k.jks", "ssl.keystore.type": "JKS"},
            "keytool -importkeystore",
        ),
        (
            {"security.protocol": "SSL", "ssl.truststore.certificates": "-----BEGIN"},
            "reads certificates and keys from files only",
        ),
        (
            {
                "security.protocol": "SSL",
                "ssl.truststore.location": "/a",
                "ssl.truststore.type": "PEM",
                "ssl.cafile": "/b",
            },
            "both set",
        ),
        ({"security.protocol": "SSL", "ssl.endpoint.identification.algorithm": "none"}, 'String must be "https"'),
        ({"security.protocol": "SSL", "ssl.cipher.suites": "TLS_AES_256_GCM_SHA384"}, "does not apply a cipher list"),
        ({"security.protocol": "SSL", "ssl.ciphers": "ECDHE-RSA-AES256-GCM-SHA384"}, "restrict ciphers on the broker"),
        ({"security.protocol": "SSL", "ssl.enabled.protocols": "TLSv1.3"}, "cannot be limited to TLSv1.3 alone"),
        ({"security.protocol": "SSL", "ssl.keyfile": "/k.pem"}, "ssl.keyfile is set without ssl.certfile"),
        (
            {"security.protocol": "SASL_SSL", "sasl.jaas.config": SCRAM},
            "sasl.mechanism is not set, so Kafka would use GSSAPI",
        ),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "GSSAPI"}, "Kerberos (GSSAPI) is not supported"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER"}, "needs a token provider"),
        (
            {"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"},
            'set sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="<user>"',
        ),
        (
            {"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", "sasl.jaas.config": SCRAM},
            "needs the login module org.apache.kafka.common.security.plain.PlainLoginModule",
        ),
        (
            {
                "security.protocol": "SASL_SSL",
                "sasl.mechanism": "PLAIN",
                "sasl.jaas.config": PLAIN,
                "sasl.username": "u",
            },
            "both set: keep one",
        ),
        ({"max.poll.records": "0"}, "Invalid value 0 for configuration max.poll.records: Value must be at least 1"),
        ({"enable.idempotence": "yes"}, "Expected value to be either true or false"),
        ({"acks": "2"}, "String must be one of: all, -1, 0, 1"),
        ({"compression.type": "brotli"}, "String must be one of: none, gzip, snappy, lz4, zstd"),
        (
            {"partition.assignment.strategy": "com.example.MyAssignor"},
            "Class com.example.MyAssignor could not be found",
        ),
    ],
)
def test_unusable_settings_are_errors_saying_what_to_do(configuration: Mapping[str, str], expected: str) -> None:
    assert expected in failure(configuration)


# --- JAAS config parsing --------------------------------------------------------------------------


def test_jaas_config_parses_like_kafka() -> None:
    entry = parse_jaas_config('  x.y.ScramLoginModule   REQUIRED username=bare password="a \\"quoted\\" ;pass" ;')
    assert (entry.module, entry.flag) == ("x.y.ScramLoginModule", "required")
    assert entry.options == {"username": "bare", "password": 'a "quoted" ;pass'}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('M required username="u" password="p"', "not terminated by semi-colon"),
        ('M username="u";', "control flag not specified"),
        ('M required username="u;', "a quoted value is not closed"),
        ('M required username "u";', 'options must be name="value" pairs'),
        ('A required a="1"; B required b="2";', "more than one login module"),
        ("", "it is empty"),
    ],
)
def test_malformed_jaas_configs_never_show_the_value(text: str, expected: str) -> None:
    with pytest.raises(ClientSettingError) as caught:
        parse_jaas_config(text)
    assert expected in str(caught.value)
    assert str(caught.value).startswith("Invalid value ****** for configuration sasl.jaas.config")


def test_a_jaas_config_without_a_password_is_refused_without_echoing_it() -> None:
    message = failure(
        {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "SCRAM-SHA-256",
            "sasl.jaas.config": 'org.apache.kafka.common.security.scram.ScramLoginModule required username="router";',
        }
    )
    assert "it needs a username and a password" in message
    assert "router" not in message.split(":")[0]


# --- librdkafka (router.kafka.client=librdkafka): the same settings, librdkafka's names --------------


def librdkafka(configuration: Mapping[str, str], **roles: Mapping[str, str]) -> ClientSettings:
    return client_settings(configuration, client="librdkafka", **roles)  # type: ignore[arg-type]


def librdkafka_failure(configuration: Mapping[str, str]) -> str:
    with pytest.raises(ClientSettingError) as caught:
        librdkafka(configuration)
    return str(caught.value)


# A realistic value of every plain setting: librdkafka checks ranges and combinations when a client is made.
EVERY_SETTING = {
    "client.id": "router",
    "request.timeout.ms": "20000",
    "metadata.max.age.ms": "60000",
    "reconnect.backoff.ms": "50",
    "reconnect.backoff.max.ms": "1000",
    "retry.backoff.ms": "100",
    "connections.max.idle.ms": "540000",
    "receive.buffer.bytes": "-1",
    "send.buffer.bytes": "131072",
    "max.in.flight.requests.per.connection": "5",
    "client.dns.lookup": "use_all_dns_ips",
    "allow.auto.create.topics": "false",
    "auto.offset.reset": "none",
    "max.poll.records": "500",
    "max.poll.interval.ms": "300000",
    "session.timeout.ms": "45000",
    "heartbeat.interval.ms": "3000",
    "fetch.min.bytes": "0",
    "fetch.max.bytes": "52428800",
    "fetch.max.wait.ms": "500",
    "max.partition.fetch.bytes": "1048576",
    "isolation.level": "read_committed",
    "check.crcs": "true",
    "client.rack": "rack-1",
    "group.instance.id": "router-0",
    "partition.assignment.strategy": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
    "acks": "all",
    "compression.type": "zstd",
    "batch.size": "16384",
    "linger.ms": "5",
    "max.request.size": "1048576",
    "retries": "10",
    "delivery.timeout.ms": "120000",
    "enable.idempotence": "true",
    "buffer.memory": "33554432",
}


def test_every_setting_kafka_python_maps_librdkafka_maps_too() -> None:
    kafka_python = {
        key for key, spec in kafka_config._SETTINGS.items() if isinstance(spec.kafka_python, kafka_config._Form)
    }
    assert kafka_python - {"exclude.internal.topics", "max.block.ms"} <= set(EVERY_SETTING)


def test_every_librdkafka_property_is_one_its_clients_accept() -> None:
    # The dev extra installs confluent-kafka: a missing one fails here (ImportError), it is never skipped.
    import confluent_kafka
    from confluent_kafka.admin import AdminClient

    result = librdkafka(EVERY_SETTING)
    assert result.ignored == ()
    consumer = {k: v for k, v in result.consumer.items() if k != kafka_config.MAX_POLL_RECORDS}
    assert result.consumer[kafka_config.MAX_POLL_RECORDS] == 500
    # Made and dropped without brokers: librdkafka refuses an unknown property or a value out of range here.
    confluent_kafka.Consumer({**consumer, "group.id": "g"}).close()
    confluent_kafka.Producer(dict(result.producer)).flush(0)
    AdminClient(dict(result.admin))
    assert result.consumer["fetch.wait.max.ms"] == 500 and result.consumer["auto.offset.reset"] == "error"
    assert (result.producer["acks"], result.producer["message.max.bytes"]) == (-1, 1048576)
    assert result.admin["socket.timeout.ms"] == 20000 and result.admin["socket.receive.buffer.bytes"] == 0
    assert result.consumer["partition.assignment.strategy"] == "cooperative-sticky"


def test_nothing_configured_is_plaintext_with_the_brokers_as_one_list_on_librdkafka() -> None:
    result = client_settings({}, bootstrap_servers=["a:9092", "b:9092"], client="librdkafka")
    for config in (result.consumer, result.producer, result.admin):
        assert config == {"security.protocol": "PLAINTEXT", "bootstrap.servers": "a:9092,b:9092"}


def test_scram_over_tls_maps_to_librdkafka_names_with_the_credentials_out_of_the_jaas_config() -> None:
    result = librdkafka(SCRAM_OVER_TLS)
    assert (
        result.consumer
        == result.producer
        == result.admin
        == {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": "router",
            "sasl.password": "hunter22",
            "ssl.ca.location": "/etc/kafka/ca.pem",
            "ssl.endpoint.identification.algorithm": "https",
        }
    )
    assert (result.security_protocol, result.sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")
    plain = librdkafka({"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.jaas.config": PLAIN})
    assert (plain.producer["sasl.username"], plain.producer["sasl.password"]) == ("u", "p w")


def test_a_pem_keystore_gives_librdkafka_the_file_for_the_key_and_the_chain() -> None:
    result = librdkafka(
        {
            "security.protocol": "SSL",
            "ssl.keystore.location": "/etc/kafka/client.pem",
            "ssl.keystore.type": "PEM",
            "ssl.key.password": "secret",
            "ssl.endpoint.identification.algorithm": "",
            "ssl.crlfile": "/etc/kafka/crl.pem",
        }
    )
    assert result.producer == {
        "security.protocol": "SSL",
        "ssl.certificate.location": "/etc/kafka/client.pem",
        "ssl.key.location": "/etc/kafka/client.pem",
        "ssl.key.password": "secret",
        "ssl.endpoint.identification.algorithm": "none",
        "ssl.crl.location": "/etc/kafka/crl.pem",
    }


def test_librdkafka_honours_a_pkcs12_keystore_and_inline_pem_which_kafka_python_cannot() -> None:
    pkcs12 = {
        "security.protocol": "SSL",
        "ssl.keystore.location": "/etc/kafka/keystore.p12",
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.password": "store",
    }
    assert librdkafka(pkcs12).consumer["ssl.keystore.location"] == "/etc/kafka/keystore.p12"
    assert librdkafka(pkcs12).consumer["ssl.keystore.password"] == "store"
    assert "keytool -importkeystore" in failure(pkcs12)
    inline = {"security.protocol": "SSL", "ssl.truststore.certificates": "-----BEGIN CERTIFICATE-----..."}
    assert librdkafka(inline).admin["ssl.ca.pem"] == "-----BEGIN CERTIFICATE-----..."
    assert "or use router.kafka.client=librdkafka, which takes it inline" in failure(inline)


def test_settings_librdkafka_has_no_use_for_are_ignored_with_a_reason() -> None:
    reasons = ignored(librdkafka({"exclude.internal.topics": "true", "max.block.ms": "1000", "some.future": "1"}))
    assert "pattern subscriptions only" in reasons["exclude.internal.topics"]
    assert "never blocks" in reasons["max.block.ms"]
    assert reasons["some.future"] == "not a setting librdkafka's clients have"
    assert "no buffer.memory" in ignored(client_settings({"buffer.memory": "1024"}))["buffer.memory"]


@pytest.mark.parametrize(
    ("configuration", "expected"),
    [
        (
            {"partition.assignment.strategy": "org.apache.kafka.clients.consumer.StickyAssignor"},
            "librdkafka has no eager sticky assignor: use org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        ),
        (
            {"security.protocol": "SSL", "ssl.keystore.location": "/k.jks", "ssl.keystore.type": "JKS"},
            "librdkafka reads PEM or PKCS12 keystores, not JKS",
        ),
        ({"security.protocol": "SSL", "ssl.truststore.location": "/t.jks"}, "librdkafka reads PEM files only"),
        (
            {"security.protocol": "SSL", "ssl.cipher.suites": "TLS_AES_256_GCM_SHA384"},
            "librdkafka takes OpenSSL's cipher names, not the Java names of Kafka's setting",
        ),
        ({"security.protocol": "SSL", "ssl.enabled.protocols": "TLSv1.3"}, "librdkafka cannot be limited to TLSv1.3"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "GSSAPI"}, "Kerberos (GSSAPI) is not supported"),
        ({"security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER"}, "librdkafka: its own OIDC settings"),
        ({"max.poll.records": "0"}, "Invalid value 0 for configuration max.poll.records: Value must be at least 1"),
    ],
)
def test_what_librdkafka_cannot_honour_is_a_startup_error_naming_it(
    configuration: Mapping[str, str], expected: str
) -> None:
    assert expected in librdkafka_failure(configuration)
