"""Serving the app with uvicorn, as the main program or embedded in a thread beside the pump."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Final

import uvicorn
from fastapi import FastAPI

from .connections import BACKLOG, ConnectionGuard
from .settings import SERVER_ADDRESS, SERVER_PORT, SidecarSettings

log = logging.getLogger(__name__)

_START_TIMEOUT_S: Final = 10.0


class _Uvicorn(uvicorn.Server):
    """uvicorn.Server that leaves signals alone when embedded: the entry point owns SIGTERM (to drain the
    pump first) and stops the server with `SidecarServer.stop()`."""

    def __init__(self, config: uvicorn.Config, *, handle_signals: bool) -> None:
        super().__init__(config)
        self._handle_signals = handle_signals

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if self._handle_signals:
            with super().capture_signals():
                yield
        else:
            yield


class SidecarServer:
    """The app listening on `host:port`. The socket is bound at construction, so `port` is the real one
    (with port 0, a free port) and a port already in use fails here, before anything else starts.

    >>> server = SidecarServer(create_app(chain), SidecarSettings(host="127.0.0.1", port=0))  # doctest: +SKIP
    >>> server.start(); ...; server.stop()                                                    # doctest: +SKIP

    `run()` serves in the calling thread until `stop()` (or, with handle_signals=True, SIGINT/SIGTERM).
    """

    def __init__(self, app: FastAPI, settings: SidecarSettings, *, handle_signals: bool = False) -> None:
        self.host = settings.host
        self._socket = _bind(settings.host, settings.port)
        self.port: int = self._socket.getsockname()[1]
        self.guard = ConnectionGuard(settings.max_connections, settings.connection_timeout_s)
        config = uvicorn.Config(
            app,
            http=self.guard.protocol(),
            backlog=BACKLOG,
            timeout_keep_alive=max(1, round(settings.connection_timeout_s)),
            log_config=None,  # the entry point configures logging
            access_log=False,  # Spring Boot logs no access either; metrics count requests
            server_header=False,  # do not advertise the server software
            lifespan="off",
            timeout_graceful_shutdown=5,
        )
        self._server = _Uvicorn(config, handle_signals=handle_signals)
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def url(self) -> str:
        """The base URL a client on this machine can use."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve in this thread until stopped."""
        log.info("Sidecar listening on %s:%d", self.host, self.port)
        self._server.run(sockets=[self._socket])

    def start(self) -> None:
        """Serve in a daemon thread; return once it accepts connections (RuntimeError if it cannot)."""
        self._thread = threading.Thread(target=self._run_in_thread, name="sidecar-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if self._failure is not None or not self._thread.is_alive():
                raise RuntimeError(f"The sidecar's HTTP server failed to start: {self._failure!r}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"The sidecar's HTTP server did not start within {_START_TIMEOUT_S:g}s.")
            time.sleep(0.01)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop accepting, finish the requests under way (up to 5s), and close."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._socket.close()

    def __enter__(self) -> SidecarServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def _run_in_thread(self) -> None:
        try:
            self.run()
        except BaseException as exc:  # SystemExit from uvicorn included: report it to start()
            self._failure = exc
            log.exception("The sidecar's HTTP server stopped on an error")


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as why:
        raise OSError(
            why.errno, f"Cannot resolve {host!r} ({SERVER_ADDRESS}) to listen on: {why.strerror or why}."
        ) from why
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # `::` takes IPv4 clients too
        sock.bind(address)
    except OSError as why:
        sock.close()
        raise OSError(
            why.errno,
            f"Cannot listen on {host}:{port} ({SERVER_ADDRESS}, {SERVER_PORT}): {why.strerror or why}. "
            f"Choose a free port with {SERVER_PORT} (0 picks one), or stop what is using it.",
        ) from why
    sock.set_inheritable(True)
    return sock
