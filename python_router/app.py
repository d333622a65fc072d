"""Assembles python-router from resolved properties: the chain, the sidecar and the pump, in one of three modes.

all      (default) the sidecar on server.port and the pump in one process, classifying in-process
sidecar  only the sidecar: the classifying container of a two-container pod
pump     only the pump (and its actuator, /route off): it classifies through `router.url` when set
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, cast

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from pump import (
    DELIVERY,
    KAFKA_CLIENT,
    ChainClassifier,
    Classifier,
    Pump,
    PumpConfig,
    RemoteClassifier,
    delivery_guarantee,
    kafka_client,
    signals,
)
from pump.transactions import exactly_once_conflicts
from python_router.binding import Settings, SettingsError
from python_router.instance_identity import group_instance_id, instance_identity, transactional_id
from sidecar import AppInfo, SidecarServer, SidecarSettings, create_app
from sidecar.secrets import mask_url_passwords
from sidecar.settings import ROUTE_ENABLED, parse_duration_s
from transforms import Chain, build_chain, parse_properties

log = logging.getLogger("python_router")

# Properties of python-router's own, spelled once, as a user writes them.
MODE: Final = "router.mode"
ROUTER_URL: Final = "router.url"
CHAIN_LOCATION: Final = "router.chain.location"
SHUTDOWN_TIMEOUT: Final = "router.shutdown.timeout"
DEFAULT_CHAIN: Final = "connect-config/router.properties"
CHAIN_SECTIONS: Final = ("transforms", "predicates", "errors")

Mode = Literal["all", "sidecar", "pump"]


@dataclass(frozen=True)
class RouterApp:
    """What runs: validated at startup, before anything connects or listens."""

    settings: Settings
    mode: Mode
    chain: Chain
    chain_file: str
    router_url: str | None
    kafka_client: str
    shutdown_timeout_s: float
    sidecar_settings: SidecarSettings
    delivery: str = "at-least-once"
    transactional_id: str | None = None
    group_instance_id: str | None = None  # the pump's default; None when the user gave theirs, or none
    identity_notes: tuple[str, ...] = ()  # startup log lines: static membership, the transactional.id

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> RouterApp:
        raw_mode = settings.get(MODE, "all") or "all"
        if raw_mode not in ("all", "sidecar", "pump"):
            raise SettingsError(f"Invalid value {raw_mode} for configuration {MODE}: use all, sidecar or pump")
        mode = cast(Mode, raw_mode)
        router_url = settings.get(ROUTER_URL) or None
        if router_url is not None and not router_url.startswith(("http://", "https://")):
            raise SettingsError(
                f"Invalid value {router_url} for configuration {ROUTER_URL}: give the sidecar's base URL, "
                "for example http://127.0.0.1:8080"
            )
        if router_url is not None and mode != "pump":
            raise SettingsError(f"{ROUTER_URL} is set but {MODE} is {mode}: a remote classifier needs {MODE}=pump")
        if settings.start_offset not in ("earliest", "latest"):
            raise SettingsError(
                f"Invalid value {settings.start_offset} for the consumer's auto.offset.reset: "
                "python-router starts a new group at earliest or latest (startOffset); use one of them"
            )
        try:
            client = kafka_client(settings.get(KAFKA_CLIENT))
            guarantee = delivery_guarantee(settings.get(DELIVERY))
        except ValueError as why:
            raise SettingsError(str(why)) from why
        identity = instance_identity(settings, os.environ if environ is None else environ)
        instance_id, membership_note = group_instance_id(settings, identity)
        notes = [membership_note]
        tid = None
        if guarantee == "exactly-once":
            conflicts = exactly_once_conflicts(settings.kafka.producer, settings.kafka.consumer)
            if conflicts:
                raise SettingsError("; ".join(conflicts))
            tid, note = transactional_id(settings, identity, fresh=lambda: uuid.uuid4().hex[:12])
            notes.append(note)
        chain_file = settings.get(CHAIN_LOCATION, DEFAULT_CHAIN) or DEFAULT_CHAIN
        return cls(
            settings=settings,
            mode=mode,
            chain=load_chain(settings, chain_file),
            chain_file=chain_file,
            router_url=router_url,
            kafka_client=client,
            shutdown_timeout_s=_seconds(settings, SHUTDOWN_TIMEOUT, 20.0),
            sidecar_settings=_sidecar_settings(settings, mode),
            delivery=guarantee,
            transactional_id=tid,
            group_instance_id=instance_id,
            identity_notes=tuple(notes),
        )

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT (or a record that stops the pump); the exit code."""
        self._log_startup()
        registry = CollectorRegistry()
        if self.mode == "sidecar":
            server = SidecarServer(self._sidecar(registry, probe=None), self.sidecar_settings, handle_signals=True)
            server.run()
            return 0
        pump = self._pump(registry)
        server = SidecarServer(self._sidecar(registry, probe=pump), self.sidecar_settings)
        signals.install(pump, shutdown_timeout_s=self.shutdown_timeout_s)
        server.start()
        log.info("Actuator on %s/actuator (pid %d)", server.url, os.getpid())
        try:
            return pump.run()
        finally:
            server.stop()

    def _pump(self, registry: CollectorRegistry) -> Pump:
        s = self.settings
        classifier: Classifier = RemoteClassifier(self.router_url) if self.router_url else ChainClassifier(self.chain)
        bindings = s.bindings
        outputs = tuple(dict.fromkeys(v for k, v in bindings.items() if k != "input"))
        config = PumpConfig(
            group_id=s.group,
            input_topic=bindings["input"],
            output_topics=outputs,
            kafka_client=self.kafka_client,
            delivery=self.delivery,
            transactional_id=self.transactional_id,
            group_instance_id=self.group_instance_id,
            consumer=s.kafka.consumer,
            producer=s.kafka.producer,
            admin=s.kafka.admin,
            start_offset="latest" if s.start_offset == "latest" else "earliest",
            auto_create_topics=s.auto_create_topics,
            min_partition_count=s.min_partition_count,
            replication_factor=s.replication_factor,
            shutdown_timeout_s=self.shutdown_timeout_s,
            app_name=s.app_name,
            instance_index=s.instance_index,
        )
        return Pump(config, classifier, self.chain.errors, registry)

    def _sidecar(self, registry: CollectorRegistry, probe: Pump | None) -> FastAPI:
        s = self.settings
        info = AppInfo(
            name=s.app_name,
            stream_name=s.stream_name,
            app_label=s.app_label,
            bindings=dict(s.bindings),
            details={"mode": self.mode, "chainFile": self.chain_file, "kafka": _kafka_details(s)},
        )
        return create_app(self.chain, info=info, settings=self.sidecar_settings, registry=registry, probe=probe)

    def _log_startup(self) -> None:
        s = self.settings
        log.info(
            "python-router starting in mode %s: bindings %s, group %s, brokers %s",
            self.mode,
            ", ".join(f"{k}->{v}" for k, v in s.bindings.items()),
            s.group,
            ",".join(s.brokers),
        )
        log.info("Resolved properties: %s", s.describe())
        if s.auto_add_partitions:
            log.warning(
                "spring.cloud.stream.kafka.binder.autoAddPartitions=true is ignored: python-router never alters an "
                "existing topic; add partitions with Kafka's kafka-topics.sh --alter"
            )
        if self.mode != "sidecar":
            for note in self.identity_notes:
                log.info("%s", note)
        for ignored in s.kafka.ignored:
            log.info("Kafka client setting %s ignored: %s", ignored.key, ignored.reason)
        stages = ", ".join(f"{d['alias']} ({d['type']})" for d in self.chain.describe())
        log.info("Chain from %s: %s; errors.tolerance=%s", self.chain_file, stages, self.chain.errors.tolerance)
        if self.router_url:
            log.info("Classifying through the sidecar at %s", mask_url_passwords(self.router_url))


def load_chain(settings: Settings, location: str) -> Chain:
    """The chain file, with any transforms.*, predicates.* and errors.* properties laid over it."""
    path = Path(location)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(
            f"Cannot read the routing chain {location} ({exc.strerror or exc}): set {CHAIN_LOCATION} to a "
            f"Connect-style properties file, or run from the folder that holds {DEFAULT_CHAIN}"
        ) from None
    properties = parse_properties(text)
    properties.update(settings.section(*CHAIN_SECTIONS, vocabulary=properties))
    return build_chain(properties, bindings=settings.bindings)


def _sidecar_settings(settings: Settings, mode: Mode) -> SidecarSettings:
    properties = dict(settings.raw)
    properties["server.port"] = str(settings.server_port)
    properties["server.address"] = settings.server_address
    if mode == "pump":
        # A pump-only container does not classify for others unless asked to.
        properties.setdefault(ROUTE_ENABLED, "false")
    return SidecarSettings.from_properties(properties)


def _seconds(settings: Settings, key: str, default: float) -> float:
    """A duration property in Spring's syntax (`20s`, `PT20S`, `20000ms`), as the sidecar reads its own."""
    raw = settings.get(key)
    if raw is None:
        return default
    try:
        seconds = parse_duration_s(raw.strip())
    except ValueError as why:
        raise SettingsError(f"Invalid value {raw} for configuration {key}: {why}") from None
    if seconds < 1:
        hint = " (a bare number is milliseconds, as in Spring: write 20s)" if raw.strip().isdigit() else ""
        raise SettingsError(f"Invalid value {raw} for configuration {key}: give at least 1s{hint}")
    return seconds


def _kafka_details(settings: Settings) -> Mapping[str, object]:
    return {"brokers": ",".join(settings.brokers), "group": settings.group, "startOffset": settings.start_offset}
