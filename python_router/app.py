"""Assembles python-router from its settings: the chain, the sidecar and the pump, in one of three modes.

all      (default) the sidecar on server.port and the pump in one process, classifying in-process
sidecar  only the sidecar: the classifying container of a two-container pod
pump     only the pump (and its actuator, /route off): it classifies through `router.url` when set
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from pump import ChainClassifier, ClassifierUnavailable, Pump, PumpConfig, RemoteClassifier, signals
from pump.classifier import SwappableClassifier
from pump.transactions import exactly_once_conflicts
from python_router import garbage
from python_router.chain_watch import ChainFileWatcher
from python_router.instance_identity import group_instance_id, instance_identity, transactional_id
from python_router.kafka_config import client_name
from python_router.live import LiveConfig
from python_router.settings import CHAIN_LOCATION, DEFAULT_CHAIN, Settings
from sidecar import AppInfo, SidecarServer, create_app, set_chain
from spring_properties import Problems, SettingsError, mask_url_passwords, read_properties_file, relaxed
from spring_properties.binder_names import AUTO_ADD_PARTITIONS
from transforms import Chain, ConfigError, build_chain

log = logging.getLogger("python_router")

CHAIN_SECTIONS = ("transforms", "predicates", "errors")


@dataclass(frozen=True)
class RouterApp:
    """What runs: validated at startup, before anything connects or listens."""

    settings: Settings
    chain: Chain
    pump_config: PumpConfig
    chain_properties: Mapping[str, str]  # the chain file with the properties laid over it, as built
    argv: tuple[str, ...] = ()
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    identity_notes: tuple[str, ...] = ()  # startup log lines: static membership, the transactional.id

    @classmethod
    def configure(cls, argv: Sequence[str], environ: Mapping[str, str]) -> RouterApp:
        """The one collection pass: the properties, the server's and the Kafka clients' settings, and the
        chain are all read; SettingsError lists every problem found, one line each, secrets masked."""
        problems = Problems()
        settings = Settings.read(argv, environ, problems)
        properties: dict[str, str] = {}
        chain: Chain | None = None
        pump_config: PumpConfig | None = None
        notes: tuple[str, ...] = ()
        with problems.collect():
            properties, chain = load_chain(settings)
        with problems.collect():
            pump_config, notes = _pump_config(settings, environ)
        problems.raise_if_any(settings.secrets)
        assert chain is not None and pump_config is not None  # no problem, so both were built
        return cls(settings, chain, pump_config, MappingProxyType(properties), tuple(argv), environ, notes)

    def summary(self) -> dict[str, object]:
        """What would run, for `python-router validate` and POST /actuator/validate; nothing secret in it."""
        s = self.settings
        errors = self.chain.errors
        return {
            "mode": s.mode,
            "bindings": dict(s.binder.bindings),
            "group": s.group,
            "brokers": list(s.binder.brokers),
            "chainFile": s.chain_location,
            "chain": self.chain.describe(),
            "errors": {"tolerance": errors.tolerance, "deadLetterTopic": errors.dead_letter_topic},
        }

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT (or a record that stops the pump); the exit code."""
        self._log_startup()
        garbage.tune_for_batches()
        registry = CollectorRegistry()
        live = LiveConfig(self, RouterApp.configure, registry)
        watcher = ChainFileWatcher(self.settings.chain_location, live.refresh) if self.settings.chain_watch else None
        if self.settings.mode == "sidecar":
            app = self._sidecar(registry, probe=None, live=live)
            live.add_swap(lambda chain, version: set_chain(app, chain, version))
            server = SidecarServer(app, self.settings.server, handle_signals=True)
            with _watching(watcher):
                server.run()
            return 0
        pump = self._pump(registry, live)
        app = self._sidecar(registry, probe=pump, live=live)
        live.add_swap(lambda chain, version: set_chain(app, chain, version))
        server = SidecarServer(app, self.settings.server)
        signals.install(pump, shutdown_timeout_s=self.settings.shutdown_timeout_s)
        server.start()
        log.info("Actuator on %s/actuator (pid %d)", server.url, os.getpid())
        try:
            with _watching(watcher):
                return pump.run()
        finally:
            server.stop()

    def _pump(self, registry: CollectorRegistry, live: LiveConfig) -> Pump:
        url = self.settings.router_url
        if url:  # the sidecar classifies, with its own chain: refresh that one through its own actuator
            return Pump(self.pump_config, _remote(url, self.settings.binder.bindings), self.chain.errors, registry)
        holder = SwappableClassifier(ChainClassifier(self.chain))
        live.add_swap(lambda chain, _version: holder.swap(ChainClassifier(chain)))
        return Pump(self.pump_config, holder, self.chain.errors, registry)

    def _sidecar(self, registry: CollectorRegistry, probe: Pump | None, live: LiveConfig) -> FastAPI:
        s = self.settings
        kafka = {"brokers": ",".join(s.binder.brokers), "group": s.group, "startOffset": s.binder.start_offset}
        info = AppInfo(
            name=s.app_name,
            stream_name=s.stream_name,
            app_label=s.app_label,
            bindings=dict(s.binder.bindings),
            details={"mode": s.mode, "chainFile": s.chain_location, "kafka": kafka},
        )
        return create_app(self.chain, info=info, settings=s.server, registry=registry, probe=probe, live=live)

    def _log_startup(self) -> None:
        s = self.settings
        log.info(
            "python-router starting in mode %s: bindings %s, group %s, brokers %s",
            s.mode,
            ", ".join(f"{k}->{v}" for k, v in s.binder.bindings.items()),
            s.group,
            ",".join(s.binder.brokers),
        )
        log.info("Resolved properties: %s", s.describe())
        if s.binder.auto_add_partitions:
            log.warning(
                "%s=true is ignored: python-router never alters an existing topic; add partitions with Kafka's "
                "kafka-topics.sh --alter",
                AUTO_ADD_PARTITIONS,
            )
        if s.mode != "sidecar":
            for note in self.identity_notes:
                log.info("%s", note)
        for ignored in s.binder.kafka.ignored:
            log.info("Kafka client setting %s ignored: %s", ignored.key, ignored.reason)
        stages = ", ".join(f"{d['alias']} ({d['type']})" for d in self.chain.describe())
        log.info("Chain from %s: %s; errors.tolerance=%s", s.chain_location, stages, self.chain.errors.tolerance)
        if s.router_url:
            log.info("Classifying through the sidecar at %s", mask_url_passwords(s.router_url))


@contextlib.contextmanager
def _watching(watcher: ChainFileWatcher | None) -> Iterator[None]:
    if watcher is not None:
        watcher.start()
    try:
        yield
    finally:
        if watcher is not None:
            watcher.stop()


def _remote(url: str, bindings: Mapping[str, str]) -> RemoteClassifier:
    """The sidecar's classifier, asked at once whether it routes for these bindings (each answer is checked
    again, so a sidecar replaced by a differently configured one is refused too)."""
    remote = RemoteClassifier(url, bindings)
    try:
        remote.check()
    except ClassifierUnavailable as why:
        log.warning("%s. Nothing is routed through it until it answers with this pump's bindings.", why)
    else:
        log.info("The sidecar at %s routes for this pump's bindings.", remote.shown_url)
    return remote


def load_chain(settings: Settings) -> tuple[dict[str, str], Chain]:
    """The chain file (read as Spring reads a .properties file), with any transforms.*, predicates.* and
    errors.* properties laid over it, and the chain built from them. Raises ConfigError listing every
    problem, each with its origin."""
    location = settings.chain_location
    fix = f"set {CHAIN_LOCATION} to a Connect-style properties file, or run from the folder that holds {DEFAULT_CHAIN}"
    from_file = read_properties_file(location, what="the routing chain", fix=fix)
    properties = {key: prop.value for key, prop in from_file.items()}
    overlay = settings.section(*CHAIN_SECTIONS, vocabulary=properties)
    properties.update(overlay)
    try:
        return properties, build_chain(properties, bindings=settings.binder.bindings)
    except ConfigError as error:
        origins = {relaxed(key): settings.sources.get(key, "") for key in settings.raw}
        origins.update({relaxed(key): f"file {location}" for key in from_file if key not in overlay})
        raise ConfigError([_with_origin(line, origins) for line in error.problems]) from None


_CHAIN_KEY = re.compile(
    r'^(?:Invalid value .*? for configuration (?P<key>\S+):|Missing required configuration "(?P<missing>[^"]+)")'
)


def _with_origin(line: str, origins: Mapping[str, str]) -> str:
    """A chain problem line, with where its property came from (an argument, the environment, the file)."""
    match = _CHAIN_KEY.match(line)
    origin = origins.get(relaxed(match["key"] or match["missing"])) if match else None
    return f"{line} (origin: {origin})" if origin else line


def _pump_config(settings: Settings, environ: Mapping[str, str]) -> tuple[PumpConfig, tuple[str, ...]]:
    """The pump's settings, typed: the binder's bindings, group, clients, topic provisioning and delivery
    guarantee, with the instance's identity (python_router/instance_identity.py); and the startup log lines
    that say what that identity gives."""
    binder = settings.binder
    identity = instance_identity(settings, environ)
    instance_id, membership = group_instance_id(settings, identity)
    notes = [membership]
    tid = None
    if settings.delivery == "exactly-once":
        conflicts = exactly_once_conflicts(
            binder.kafka.producer, binder.kafka.consumer, functools.partial(client_name, client=binder.kafka.client)
        )
        if conflicts:
            raise SettingsError(conflicts)
        tid, note = transactional_id(settings, identity, fresh=lambda: uuid.uuid4().hex[:12])
        notes.append(note)
    config = PumpConfig(
        group_id=settings.group,
        input_topic=binder.bindings["input"],
        output_topics=tuple(dict.fromkeys(v for k, v in binder.bindings.items() if k != "input")),
        kafka_client=settings.kafka_client,
        delivery=settings.delivery,
        transactional_id=tid,
        group_instance_id=instance_id,
        consumer=binder.kafka.consumer,
        producer=binder.kafka.producer,
        admin=binder.kafka.admin,
        start_offset="latest" if binder.start_offset == "latest" else "earliest",
        auto_create_topics=binder.auto_create_topics,
        min_partition_count=binder.min_partition_count,
        replication_factor=binder.replication_factor,
        shutdown_timeout_s=settings.shutdown_timeout_s,
        app_name=settings.app_name,
        instance_index=settings.instance_index,
    )
    return config, tuple(notes)
