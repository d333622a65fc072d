"""SCDF's configuration metadata: the generated files and the Dockerfile's labels are current, Spring Boot's
own metadata reader (the one SCDF uses) reads them as meant, and they describe every property the app reads,
with the defaults a start really has."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Final

import pytest

from python_router import scdf_metadata as scdf
from python_router.property_docs import GROUPS
from python_router.settings import Settings
from spring_properties import relaxed
from spring_properties.sources import APPLICATION_JSON
from tests.python_router.test_configuration_page import READERS, declared
from transforms import parse_properties
from transforms.builtin import PREDICATES, TRANSFORMATIONS
from transforms.error_policy import ErrorPolicy

ROOT: Final = Path(__file__).resolve().parents[2]
HERE: Final = Path(__file__).resolve().parent
# Spring Boot's metadata reader, from Maven Central; the version the project's Spring apps use.
SPRING_METADATA: Final = "org.springframework.boot:spring-boot-configuration-metadata:4.0.7"
_LABEL: Final = re.compile(r'([\w.-]+)="((?:[^"\\]|\\.)*)"')


def committed() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / scdf.METADATA_FILE).read_text(encoding="utf-8"))
    return document


def dockerfile_labels() -> dict[str, str]:
    """The labels of the Dockerfile's generated block, unescaped as Docker reads them."""
    text = (ROOT / scdf.DOCKERFILE).read_text(encoding="utf-8")
    block = text.split("# BEGIN SCDF metadata", 1)[1].split("# END SCDF metadata", 1)[0]
    return {name: re.sub(r"\\(.)", r"\1", value) for name, value in _LABEL.findall(block)}


@pytest.fixture(scope="module")
def spring_reader(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Spring Boot's configuration metadata jar (Maven resolves it, ~/.m2 caches it)."""
    mvn, java = shutil.which("mvn"), shutil.which("java")
    if mvn is None or java is None:
        pytest.fail("Reading the metadata as Spring does needs Java 17 and Maven on PATH (as the Kafka jars do)")
    folder = tmp_path_factory.mktemp("spring-metadata")
    fetch = [mvn, "-B", "-q", "dependency:copy", f"-Dartifact={SPRING_METADATA}", f"-DoutputDirectory={folder}"]
    result = subprocess.run(fetch, capture_output=True, text=True, timeout=300, check=False)
    jars = list(folder.glob("*.jar"))
    assert result.returncode == 0 and jars, f"Maven could not fetch {SPRING_METADATA}: {result.stdout}{result.stderr}"
    return jars[0]


def read_as_spring(jar: Path, document: str, tmp_path: Path) -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    """Groups (id -> source types) and properties (id -> [type, default, value hints, short description])
    as Spring Boot's ConfigurationMetadataRepositoryJsonBuilder reads `document`."""
    path = tmp_path / "metadata.json"
    path.write_text(document, encoding="utf-8")
    command = ["java", "-cp", str(jar), str(HERE / "SpringMetadataReader.java"), str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"Spring's reader refused the metadata: {result.stderr}"
    groups: dict[str, set[str]] = {}
    properties: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        kind, name, *rest = line.split("\t")
        if kind == "G":
            groups[name] = set(filter(None, rest[0].split(",")))
        else:
            properties[name] = rest
    return groups, properties


def as_java(value: Any) -> str:
    """A JSON default as Spring's reader shows it (arrays as Object[], booleans lowercase)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(as_java(v) for v in value) + "]"
    return str(value)


def test_the_generated_files_and_the_dockerfile_labels_are_current() -> None:
    assert scdf.main(["--check", str(ROOT)]) == 0, f"regenerate with `{scdf.COMMAND}` (make docs)"
    labels = dockerfile_labels()
    full = committed()
    assert json.loads(labels[scdf.BOOT_LABEL]) == full
    assert json.loads(labels[scdf.DATAFLOW_LABEL]) == scdf.dataflow_metadata(full)
    assert labels[scdf.INBOUND_PORTS_LABEL] == "input"
    assert labels[scdf.OUTBOUND_PORTS_LABEL] == "even,odd"
    assert "COPY META-INF/ META-INF/" in (ROOT / scdf.DOCKERFILE).read_text(encoding="utf-8")


def test_spring_reads_every_property_with_its_type_default_and_values(spring_reader: Path, tmp_path: Path) -> None:
    full = committed()
    groups, properties = read_as_spring(spring_reader, scdf.metadata_json(full), tmp_path)
    assert set(properties) == {p["name"] for p in full["properties"]}
    hints = {h["name"]: [v["value"] for v in h["values"]] for h in full["hints"]}
    for prop in full["properties"]:
        java_type, default, values, summary = properties[prop["name"]]
        assert java_type == prop["type"], prop["name"]
        assert default == as_java(prop.get("defaultValue")), prop["name"]
        assert values == ",".join(hints.get(prop["name"], [])), prop["name"]
        assert summary and prop["description"].startswith(summary.rstrip(".")), prop["name"]
    for group in full["groups"]:
        assert group["sourceType"] in groups[group["name"]], group["name"]


def test_spring_reads_the_label_scdf_reads_as_the_visible_properties(spring_reader: Path, tmp_path: Path) -> None:
    label = dockerfile_labels()[scdf.DATAFLOW_LABEL]
    _, properties = read_as_spring(spring_reader, label, tmp_path)
    visible = parse_properties((ROOT / scdf.VISIBLE_FILE).read_text(encoding="utf-8"))
    names = [n.strip() for n in visible["configuration-properties.names"].split(",")]
    assert sorted(properties) == sorted(names)
    for must in ("router.mode", "server.port", "errors.tolerance", "transforms.parity.even.topic"):
        assert must in properties
    assert not [n for n in properties if "<alias>" in n], "the generic keys stay out of SCDF's short list"


def test_every_property_name_the_code_declares_is_described() -> None:
    """Each property-name constant of the modules that read properties, as the configuration page's test
    finds them: a property of the metadata, or the prefix of its map or of its bindings."""
    names = [relaxed(p["name"]) for p in committed()["properties"]]
    for module in READERS:
        for name in declared(module):
            if name == APPLICATION_JSON:
                continue  # a source of properties (SCDF's local deployer sets it), not one of them
            wanted = relaxed(name)
            assert any(n == wanted or n.startswith(wanted + ".") for n in names), f"no metadata for {name}"


def test_every_property_the_app_reads_is_described() -> None:
    names = {p["name"] for p in committed()["properties"]}
    for group in GROUPS:
        for doc in group.properties:
            assert scdf.spring_name(doc.name) in names
    for key in ErrorPolicy.SPEC.keys:
        assert key.name in names
    for section, plugins in (("transforms", TRANSFORMATIONS), ("predicates", PREDICATES)):
        for cls in plugins.values():
            for key in cls.CONFIG.keys:
                assert f"{section}.<alias>.{key.name}" in names, (cls.__name__, key.name)
    shipped = parse_properties((ROOT / "connect-config" / "router.properties").read_text(encoding="utf-8"))
    assert {k for k in shipped if k.startswith(("transforms", "predicates", "errors"))} <= names
    for prop in committed()["properties"]:
        assert prop["description"].endswith((".", ")")) and prop["sourceType"], prop["name"]
        if not prop["name"].startswith(("transforms", "predicates", "errors.")):
            # Spring's canonical form; Connect's keys keep Connect's spelling (aliases are case-sensitive).
            assert re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", prop["name"]), prop["name"]


def test_the_declared_defaults_are_what_a_start_gets() -> None:
    defaults = {p["name"]: p.get("defaultValue") for p in committed()["properties"]}
    settings = Settings.resolve([], {})
    binder, server = settings.binder, settings.server
    assert defaults["server.port"] == server.port
    assert defaults["server.address"] == server.host
    assert defaults["server.max-request-size"] == f"{server.max_request_size // 2**20}MB"
    assert defaults["router.liveness.timeout"] == f"{server.liveness_timeout_s:g}s"
    assert defaults["server.connection-timeout"] == f"{server.connection_timeout_s:g}s"
    assert defaults["server.max-connections"] == server.max_connections
    assert defaults["router.route.batch.max-records"] == server.max_batch_records
    assert defaults["router.route.enabled"] is server.route_enabled
    assert sorted(defaults["management.endpoints.web.exposure.include"]) == sorted(server.exposed)
    assert defaults["router.mode"] == settings.mode
    assert defaults["router.chain.location"] == settings.chain_location
    assert defaults["router.shutdown.timeout"] == f"{settings.shutdown_timeout_s:g}s"
    assert defaults["router.chain.watch"] is settings.chain_watch
    assert defaults["spring.cloud.stream.kafka.binder.brokers"] == [b.split(":")[0] for b in binder.brokers]
    assert defaults["spring.cloud.stream.kafka.binder.default-broker-port"] == int(binder.brokers[0].split(":")[1])
    assert defaults["spring.cloud.stream.kafka.binder.auto-create-topics"] is binder.auto_create_topics
    assert defaults["spring.cloud.stream.kafka.binder.auto-add-partitions"] is binder.auto_add_partitions
    assert defaults["spring.cloud.stream.kafka.binder.replication-factor"] == binder.replication_factor
    assert defaults["spring.cloud.stream.kafka.binder.min-partition-count"] == binder.min_partition_count
    assert defaults["spring.cloud.stream.kafka.bindings.input.consumer.start-offset"] == binder.start_offset
    assert defaults["spring.application.name"] == settings.app_name
    assert defaults["spring.cloud.stream.instance-index"] == settings.instance_index
    assert defaults["spring.cloud.stream.instance-count"] == settings.instance_count
    for binding in ("input", "even", "odd"):
        assert defaults[f"spring.cloud.stream.bindings.{binding}.destination"] == binder.bindings[binding]


def test_the_app_reads_the_names_as_the_metadata_spells_them() -> None:
    """SCDF completes the kebab-case names; relaxed binding reads them as the camelCase ones."""
    settings = Settings.resolve(
        [
            "--spring.cloud.stream.kafka.binder.auto-create-topics=false",
            "--spring.cloud.stream.kafka.binder.min-partition-count=3",
            "--spring.cloud.stream.kafka.bindings.input.consumer.start-offset=latest",
        ],
        {},
    )
    binder = settings.binder
    assert (binder.auto_create_topics, binder.min_partition_count, binder.start_offset) == (False, 3, "latest")


def test_make_scdf_metadata_prints_them() -> None:
    result = subprocess.run(
        ["make", "-s", "scdf-metadata"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert f"# {scdf.METADATA_FILE}" in result.stdout
    assert "configuration-properties.names=router.mode" in result.stdout
    assert f"{scdf.DATAFLOW_LABEL}: " in result.stdout
