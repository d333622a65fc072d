"""`python-router`: the SCDF app. Reads its properties as SCDF hands them over, then serves until SIGTERM.

Exit codes: 0 after a clean shutdown; 1 when a record stops the pump (errors.tolerance=none) or it cannot
go on; 2 when the configuration is invalid (one line on stderr names the property and what to do).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from pump import PumpError
from python_router.app import RouterApp
from python_router.binding import Settings, SettingsError
from python_router.kafka_config import ClientSettingError
from transforms.errors import ConfigError

USAGE = """usage: python-router [--key=value ...]

Properties come, highest precedence first, from --key=value arguments, SPRING_APPLICATION_JSON,
environment variables (SPRING_CLOUD_STREAM_BINDINGS_INPUT_DESTINATION=...), application properties files
and defaults. The recipe's wiring:
  --spring.cloud.stream.bindings.input.destination=timeDest
  --spring.cloud.stream.bindings.even.destination=evenDest
  --spring.cloud.stream.bindings.odd.destination=oddDest
  --spring.cloud.stream.kafka.binder.brokers=localhost:9092
Every property is in docs/configuration.md."""

# Spring Boot's console layout, one line per event: date, level, pid, thread, logger, message.
LOG_FORMAT = "%(asctime)s.%(msecs)03d %(levelname)5s %(process)d --- [%(threadName)15.15s] %(name)-12s : %(message)s"

log = logging.getLogger("python_router")


def configure_logging() -> None:
    # Unbuffered, line by line, even when stdout is a pipe (SCDF and Kubernetes read it as one).
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format=LOG_FORMAT, datefmt="%Y-%m-%d %H:%M:%S")
    # kafka-python narrates every connection at INFO; its warnings and errors still show.
    logging.getLogger("kafka").setLevel(logging.WARNING)
    # httpx logs every request at INFO: one line per /route/batch call in the pump's remote mode.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in arguments):
        print(USAGE)
        return 0
    configure_logging()
    settings: Settings | None = None
    try:
        settings = Settings.resolve(arguments, os.environ)
        app = RouterApp.from_settings(settings)
    except (SettingsError, ConfigError, ClientSettingError) as exc:
        # One line per problem (a chain's configuration reports all of its problems at once).
        problems = exc.problems if isinstance(exc, ConfigError) else (str(exc),)
        for problem in problems:
            message = settings.scrub(problem) if settings is not None else problem
            print(f"python-router: invalid configuration: {message}", file=sys.stderr, flush=True)
        return 2
    try:
        return app.run()
    except PumpError as exc:
        log.error("%s", settings.scrub(str(exc)))
        return 1
    except OSError as exc:  # a port in use, an unreadable file: the message says which
        log.error("%s", settings.scrub(str(exc)))
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
