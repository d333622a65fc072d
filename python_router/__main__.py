"""`python-router`: the SCDF app. Reads its properties as SCDF hands them over, then serves until SIGTERM.

Exit codes: 0 after a clean shutdown (and for --help, --version); 1 when a record stops the pump
(errors.tolerance=none) or it cannot go on; 2 when the configuration is invalid: every problem found, one
line each on stderr, naming the property, its value and what to do.
"""

from __future__ import annotations

import logging
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any

from pump import PumpError
from pump.config import KAFKA_CLIENT
from pump.remote import ROUTER_URL
from python_router import settings
from python_router.app import RouterApp
from sidecar import settings as server
from spring_properties import binder_names as binder
from spring_properties.sources import CONFIG_LOCATION
from transforms.errors import ConfigError

USAGE = f"""usage: python-router [--key=value ...] | --help | --version
       python-router validate [--key=value ...]   check the configuration as a start would, connect nothing

Every setting is a Spring property. Sources, highest precedence first: --key=value arguments;
SPRING_APPLICATION_JSON; environment variables (relaxed binding: SPRING_CLOUD_STREAM_KAFKA_BINDER_BROKERS
is {binder.BROKERS}); the .properties files listed in {CONFIG_LOCATION}; defaults.

Property groups:
  bindings and the Kafka binder
    {binder.BINDINGS}.<input|even|odd>.destination
    {binder.INPUT_GROUP}
    {binder.BROKERS}
    {binder.AUTO_CREATE_TOPICS}, {binder.REPLICATION_FACTOR}, {binder.MIN_PARTITION_COUNT}
    {binder.START_OFFSET}
  Kafka client settings (Kafka's own names: security.protocol, sasl.*, ssl.*, max.poll.records, ...)
    {binder.CONFIGURATION}.*
    {binder.CONSUMER_PROPERTIES}.*, {binder.PRODUCER_PROPERTIES}.*
  HTTP server and actuator
    {server.SERVER_PORT}, {server.SERVER_ADDRESS}, {server.MAX_REQUEST_SIZE}
    {server.ROUTE_ENABLED}, {server.LIVENESS_TIMEOUT}, {server.EXPOSURE_INCLUDE}
  the app
    {settings.MODE} (all, sidecar or pump), {ROUTER_URL}, {KAFKA_CLIENT}, {settings.SHUTDOWN_TIMEOUT}
    {settings.APPLICATION_NAME}, {settings.CHAIN_LOCATION}
  the routing chain (Kafka Connect's syntax, laid over the chain file)
    transforms.*, predicates.*, errors.*

The recipe's wiring:
  --{binder.BINDINGS}.input.destination=timeDest
  --{binder.BINDINGS}.even.destination=evenDest
  --{binder.BINDINGS}.odd.destination=oddDest
  --{binder.BROKERS}=localhost:9092

Every property, its default and meaning: docs/configuration.md. Every error message: docs/troubleshooting.md."""

# Spring Boot's console layout, one line per event: date, level, pid, thread, logger, message.
LOG_FORMAT = "%(asctime)s.%(msecs)03d %(levelname)5s %(process)d --- [%(threadName)15.15s] %(name)-12s : %(message)s"

log = logging.getLogger("python_router")


def versions() -> str:
    """This app's version, its Kafka clients' and Python's, one per line."""
    lines = [f"python-router {metadata.version('python-router')}", f"kafka-python {metadata.version('kafka-python')}"]
    try:
        import confluent_kafka  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        pass
    else:
        lines.append(f"confluent-kafka {confluent_kafka.version()[0]} (librdkafka {confluent_kafka.libversion()[0]})")
    lines.append(f"Python {platform.python_version()} ({platform.python_implementation()})")
    return "\n".join(lines)


def configure_logging() -> None:
    # Unbuffered, line by line, even when stdout is a pipe (SCDF and Kubernetes read it as one).
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format=LOG_FORMAT, datefmt="%Y-%m-%d %H:%M:%S")
    # kafka-python narrates every connection at INFO; its warnings and errors still show.
    logging.getLogger("kafka").setLevel(logging.WARNING)
    # httpx logs every request at INFO: one line per /route/batch call in the pump's remote mode.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def print_problems(error: ConfigError) -> None:
    for problem in error.problems:
        print(f"python-router: invalid configuration: {problem}", file=sys.stderr, flush=True)


def validate(arguments: Sequence[str]) -> int:
    """`python-router validate`: the start's own collection pass (properties, Kafka client settings, chain),
    and nothing else: no broker is contacted, no port is opened. 0 and what would run, or 2 and every problem."""
    try:
        app = RouterApp.configure(arguments, os.environ)
    except ConfigError as error:
        print_problems(error)
        count = len(error.problems)
        print(f"python-router: {count} problem{'s' if count != 1 else ''}; nothing was started", file=sys.stderr)
        return 2
    print(describe(app.summary()))
    return 0


def describe(summary: Mapping[str, Any]) -> str:
    """RouterApp.summary() for a person, one fact a line."""
    lines = [
        "python-router: the configuration is valid (checked as a start would; nothing was connected)",
        f"mode: {summary['mode']}",
        "bindings: " + ", ".join(f"{name} -> {topic}" for name, topic in summary["bindings"].items()),
        f"group: {summary['group']}",
        f"brokers: {','.join(summary['brokers'])}",
        f"chain ({summary['chainFile']}):",
    ]
    for number, stage in enumerate(summary["chain"], 1):
        condition = f", if {'not ' if stage['negate'] else ''}{stage['predicate']}" if stage["predicate"] else ""
        lines.append(f"  {number}. {stage['alias']}: {stage['type']}{condition}")
    errors = summary["errors"]
    dead_letters = f", dead letters to {errors['deadLetterTopic']}" if errors["deadLetterTopic"] else ""
    lines.append(f"errors.tolerance: {errors['tolerance']}{dead_letters}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in arguments):
        print(USAGE)
        return 0
    if any(a in ("-V", "--version") for a in arguments):
        print(versions())
        return 0
    if hasattr(sys.stderr, "reconfigure"):
        sys.stderr.reconfigure(errors="backslashreplace")  # a problem line is printed whatever the locale
    if arguments[:1] == ["validate"]:
        return validate(arguments[1:])
    configure_logging()
    try:
        app = RouterApp.configure(arguments, os.environ)
    except ConfigError as error:  # every configuration error: all problems of all groups, secrets masked
        print_problems(error)
        return 2
    try:
        return app.run()
    except (PumpError, OSError) as exc:  # a port in use, an unreadable file: the message says which
        log.error("%s", app.settings.scrub(str(exc)))
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
