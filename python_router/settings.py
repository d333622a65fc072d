"""python-router's settings: every property it reads, typed and validated in one pass, every problem found.

The sources and Spring's rules are spring_properties'; the Kafka binder's properties are binder.py's; the
HTTP server's are the sidecar's. This module adds the app's own (`spring.application.name`, SCDF's stream
and instance properties, `router.*`) and puts them together.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal, cast

from pump.clients import require
from pump.config import DELIVERIES, DELIVERY, KAFKA_CLIENT, KAFKA_CLIENTS, delivery_guarantee, kafka_client
from pump.errors import KafkaClientMissing
from pump.remote import ROUTER_URL
from python_router.binder import Binder
from python_router.kafka_config import Client
from sidecar.settings import SidecarSettings
from spring_properties import (
    Problems,
    PropertyReader,
    PropertySources,
    invalid_value,
    mask_secrets,
    parse_duration_at_least,
    read_sources,
    relaxed,
    scrub,
    secret_values,
)
from spring_properties.binder_names import INPUT_GROUP
from spring_properties.names import is_under

APPLICATION_NAME: Final = "spring.application.name"
STREAM_NAME: Final = "spring.cloud.dataflow.stream.name"
APP_LABEL: Final = "spring.cloud.dataflow.stream.app.label"
APPLICATION_GROUP: Final = "spring.cloud.application.group"  # env SPRING_CLOUD_APPLICATION_GROUP (SCDF: stream name)
APPLICATION_GUID: Final = "spring.cloud.application.guid"  # env SPRING_CLOUD_APPLICATION_GUID
INSTANCE_INDEX: Final = "spring.cloud.stream.instanceIndex"
INSTANCE_COUNT: Final = "spring.cloud.stream.instanceCount"
MODE: Final = "router.mode"
CHAIN_LOCATION: Final = "router.chain.location"
CHAIN_WATCH: Final = "router.chain.watch"
SHUTDOWN_TIMEOUT: Final = "router.shutdown.timeout"
# Static membership by default when the instance has a stable, unique identity; false turns it off.
STATIC_MEMBERSHIP: Final = "router.kafka.static-membership"

DEFAULT_CHAIN: Final = "connect-config/router.properties"
# Platforms' instance-index variables, after the property, as Spring Cloud Stream reads them.
INDEX_VARIABLES: Final = ("INSTANCE_INDEX", "SPRING_APPLICATION_INDEX", "CF_INSTANCE_INDEX")

Mode = Literal["all", "sidecar", "pump"]


@dataclass(frozen=True)
class Settings:
    """Everything the app needs from its properties, validated. Build with `Settings.resolve`.

    >>> s = Settings.resolve(["--spring.cloud.stream.bindings.even.destination=evenDest"], {})
    >>> s.binder.bindings["even"], s.binder.brokers, s.server.port
    ('evenDest', ('localhost:9092',), 8080)
    """

    binder: Binder
    server: SidecarSettings
    group: str
    mode: Mode
    router_url: str | None
    kafka_client: str
    delivery: str  # router.delivery
    static_membership: bool  # router.kafka.static-membership (python_router/instance_identity.py)
    chain_location: str
    chain_watch: bool
    shutdown_timeout_s: float
    app_name: str
    stream_name: str | None
    app_label: str | None
    instance_index: int
    instance_count: int
    application_guid: str | None
    config_files: tuple[str, ...]
    raw: Mapping[str, str] = field(repr=False)
    sources: Mapping[str, str] = field(repr=False)
    secrets: frozenset[str] = field(repr=False)

    @classmethod
    def resolve(
        cls,
        argv: Sequence[str],
        environ: Mapping[str, str],
        *,
        read_file: Callable[[str], bytes] = lambda path: Path(path).read_bytes(),
        exists: Callable[[str], bool] = os.path.isfile,
    ) -> Settings:
        """Read every source (see spring_properties.sources); raises SettingsError listing every problem,
        one line each, secrets masked."""
        problems = Problems()
        settings = cls.read(argv, environ, problems, read_file=read_file, exists=exists)
        problems.raise_if_any(settings.secrets)
        return settings

    @classmethod
    def read(
        cls,
        argv: Sequence[str],
        environ: Mapping[str, str],
        problems: Problems,
        *,
        read_file: Callable[[str], bytes] = lambda path: Path(path).read_bytes(),
        exists: Callable[[str], bool] = os.path.isfile,
    ) -> Settings:
        """As `resolve`, but each problem is added to `problems` and a default stands in for it."""
        sources, files = read_sources(argv, environ, problems, read_file=read_file, exists=exists)
        read = PropertyReader(sources, problems)
        app_name = read.text(APPLICATION_NAME) or "python-router"
        stream_name = read.text(STREAM_NAME) or read.text(APPLICATION_GROUP)
        mode: Mode = read.value(MODE, _mode, "all")
        router_url = read.value(ROUTER_URL, _router_url, None)
        if router_url is not None and mode != "pump":
            problems.add(f"{ROUTER_URL} is set but {MODE} is {mode}: a remote classifier needs {MODE}=pump")
        # A pump-only container does not classify for others unless asked to.
        server_defaults = SidecarSettings(route_enabled=mode != "pump")
        raw = sources.raw()
        client = read.value(KAFKA_CLIENT, kafka_client, KAFKA_CLIENTS[0])
        if mode != "sidecar":
            try:
                require(client)
            except KafkaClientMissing as missing:
                problems.add(str(missing))
        return cls(
            binder=Binder.read(read, cast(Client, client)),
            server=SidecarSettings.read(read, server_defaults),
            group=read.text(INPUT_GROUP) or stream_name or app_name,
            mode=mode,
            router_url=router_url,
            kafka_client=client,
            delivery=read.value(DELIVERY, delivery_guarantee, DELIVERIES[0]),
            static_membership=read.boolean(STATIC_MEMBERSHIP, True),
            chain_location=read.text(CHAIN_LOCATION) or DEFAULT_CHAIN,
            chain_watch=read.boolean(CHAIN_WATCH, False),
            shutdown_timeout_s=read.value(SHUTDOWN_TIMEOUT, _shutdown_timeout, 20.0),
            app_name=app_name,
            stream_name=stream_name,
            app_label=read.text(APP_LABEL),
            instance_index=_instance_index(read, environ),
            instance_count=read.integer(INSTANCE_COUNT, 1, minimum=1),
            application_guid=read.text(APPLICATION_GUID),
            config_files=files,
            raw=MappingProxyType(raw),
            sources=MappingProxyType({prop.key: prop.source for prop in sources}),
            secrets=secret_values(raw),
        )

    def get(self, key: str, default: str | None = None) -> str | None:
        """A property by any relaxed spelling of its name (`auto-create-topics`, `autoCreateTopics`)."""
        prop = PropertySources.of(self.raw).get(key)
        return prop.value if prop is not None else default

    def section(self, *prefixes: str, vocabulary: Iterable[str] = ()) -> dict[str, str]:
        """The properties under `prefixes` (`"transforms", "predicates", "errors"`), to layer over a
        Connect-style file. Names that came from environment variables are lowercase; each of their
        elements is respelled after a word of `vocabulary`, of the other sources' names, or of a
        section's alias lists (`transforms=parity,labelEven`), so TRANSFORMS_LABELEVEN_TEMPLATE
        becomes `transforms.labelEven.template`."""
        heads = {relaxed(p) for p in prefixes}
        chosen = {k: v for k, v in self.raw.items() if any(is_under(k, prefix) for prefix in prefixes)}
        alias_lists = (v for k, v in chosen.items() if relaxed(k) in heads)
        spelled = (k for k in self.raw if not self._from_environment(k))
        words = _words(vocabulary, spelled, alias_lists)
        result: dict[str, str] = {}
        for key, value in chosen.items():
            if self._from_environment(key):
                key = ".".join(words.get(part.replace("-", ""), part) for part in key.split("."))
            result[key] = value
        return result

    def masked(self) -> dict[str, str]:
        """Every property, secrets as `******`: for the startup log and /actuator/info."""
        return mask_secrets(self.raw)

    def scrub(self, text: str) -> str:
        """`text` with every secret value of these settings replaced by `******` (for error messages)."""
        return scrub(text, self.secrets)

    def describe(self) -> dict[str, object]:
        """A summary for the startup log and /actuator/info; nothing secret in it."""
        binder = self.binder
        return {
            "app": self.app_name,
            "stream": self.stream_name,
            "label": self.app_label,
            "bindings": dict(binder.bindings),
            "group": self.group,
            "brokers": list(binder.brokers),
            "kafka_client": binder.kafka.client,
            "security_protocol": binder.kafka.security_protocol,
            "sasl_mechanism": binder.kafka.sasl_mechanism,
            "start_offset": binder.start_offset,
            "instance": {"index": self.instance_index, "count": self.instance_count, "guid": self.application_guid},
            "server": {"address": self.server.host, "port": self.server.port},
            "config_files": list(self.config_files),
        }

    def _from_environment(self, key: str) -> bool:
        return self.sources.get(key, "").startswith("environment variable ")


def _mode(raw: str) -> Mode:
    if not raw:
        return "all"
    if raw not in ("all", "sidecar", "pump"):
        raise ValueError("use all, sidecar or pump")
    return cast(Mode, raw)


def _router_url(raw: str) -> str | None:
    if not raw:
        return None
    if not raw.startswith(("http://", "https://")):
        raise ValueError("give the sidecar's base URL, for example http://127.0.0.1:8080")
    return raw


def _shutdown_timeout(raw: str) -> float:
    return parse_duration_at_least(raw, 1.0, "or the pump could not finish its batch")


def _instance_index(read: PropertyReader, environ: Mapping[str, str]) -> int:
    if read.sources.get(INSTANCE_INDEX) is not None:
        return read.integer(INSTANCE_INDEX, 0, minimum=0)
    for name in INDEX_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            if not value.isdigit():
                why = "Value must be a whole number, 0 or more (this instance's index)."
                read.problems.add(invalid_value(name, value, why, f"environment variable {name}"))
                return 0
            return int(value)
    return 0


def _words(*groups: Iterable[str]) -> dict[str, str]:
    """Relaxed form -> spelling, for every word-like element found in `groups` (first spelling wins)."""
    words: dict[str, str] = {}
    for group in groups:
        for text in group:
            for part in re.split(r"[.,\s\[\]]+", text):
                if re.fullmatch(r"[A-Za-z0-9_-]+", part):
                    words.setdefault(relaxed(part), part)
    return words
