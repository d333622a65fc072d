"""The connection guard: what uvicorn lacks against slow and numerous clients (its issue #157: no timeout
for reading a request, and `limit_concurrency` answers 503 to health probes too).

Each connection must deliver a complete request (line, headers and body) within `server.connection-timeout`
of being opened or of its previous answer, else it is closed; the time the server itself stops reading
(a body waiting for its turn) does not count. An answer the client does not read for as long is aborted.
At `server.max-connections` (kept under the process's open-file limit) a new connection closes the one that
has waited longest for its request, so slow clients cannot hold every slot: a Kubernetes probe, which sends
its request at once, always gets in. Connections whose request is being answered are never closed for this.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any, ClassVar, Final

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import CONNECTION_TIMEOUT, MAX_CONNECTIONS

log = logging.getLogger(__name__)

# Connections asyncio may accept in one go before any is seen here: the listen backlog, which bounds it.
BACKLOG: Final = 128
# File descriptors left for the rest of the process (Kafka clients, logs, threads) under the limit.
_OTHER_FDS: Final = 128
_MIN_CONNECTIONS: Final = 16
# A request line and headers larger than this are refused (431), as h11's default max incomplete event.
MAX_HEAD_BYTES: Final = 16 * 1024
_HEAD_TOO_LARGE_MESSAGE: Final = f"The request line and headers are over {MAX_HEAD_BYTES} bytes."
_HEAD_TOO_LARGE: Final = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    + f"content-length: {len(_HEAD_TOO_LARGE_MESSAGE)}\r\nconnection: close\r\n\r\n{_HEAD_TOO_LARGE_MESSAGE}".encode()
)


class ConnectionGuard:
    """One server's connections: the cap, the timeout, and those waiting for a request, oldest first."""

    def __init__(self, max_connections: int, timeout_s: float) -> None:
        self.max_connections = _under_fd_limit(max_connections)
        self.timeout_s = timeout_s
        self.waiting: dict[GuardedHttpProtocol, None] = {}  # insertion order: the longest-waiting first

    def protocol(self) -> type[GuardedHttpProtocol]:
        """The uvicorn protocol class (`uvicorn.Config(http=...)`) bound to this guard."""
        return type("GuardedHttpProtocol", (GuardedHttpProtocol,), {"guard": self})


def _under_fd_limit(wanted: int) -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    room = max(_MIN_CONNECTIONS, soft - BACKLOG - _OTHER_FDS)
    if wanted > room:
        log.info(
            "%s=%d is above what the open-file limit (ulimit -n %d) allows: serving at most %d connections.",
            MAX_CONNECTIONS,
            wanted,
            soft,
            room,
        )
    return min(wanted, room)


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the guard's timeout and cap (see the module's docstring)."""

    guard: ClassVar[ConnectionGuard]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timer: asyncio.TimerHandle | None = None
        self._write_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0  # received since the request began, while its head is incomplete
        self._head_done = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_waiting()
        if len(self.connections) > self.guard.max_connections:
            # The longest-waiting goes; if that is this one, every other connection is being answered.
            next(iter(self.guard.waiting))._close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        self._cancel_write_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head_done:
            super().data_received(data)
            return
        self._head_bytes += len(data)
        super().data_received(data)
        if not self._head_done and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self.transport.write(_HEAD_TOO_LARGE)
            self._close(abort=False)

    def on_headers_complete(self) -> None:
        self._head_done = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        if self.cycle.response_complete:  # answered before its body had all come (a 413): the next request
            self._start_waiting()
        else:
            self._stop_waiting()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self.cycle.response_complete and self.cycle.more_body:
            self._start_waiting(new_request=False)  # the rest of the answered request's body must come in time
        else:
            self._start_waiting()  # for the next request (or the rest of a pipelined one)

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_timer is None:
            self._write_timer = self.loop.call_later(self.guard.timeout_s, self._on_write_stalled)

    def resume_writing(self) -> None:
        super().resume_writing()
        self._cancel_write_timer()

    def _start_waiting(self, *, new_request: bool = True) -> None:
        if new_request:
            self._head_bytes, self._head_done = 0, False
        self.guard.waiting.pop(self, None)
        self.guard.waiting[self] = None
        if self._read_timer is not None:
            self._read_timer.cancel()
        self._read_timer = self.loop.call_later(self.guard.timeout_s, self._on_read_timeout)

    def _stop_waiting(self) -> None:
        self.guard.waiting.pop(self, None)
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _on_read_timeout(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:  # the server is not reading (the body waits its turn): not the client's fault
            self._read_timer = self.loop.call_later(self.guard.timeout_s, self._on_read_timeout)
            return
        log.debug("Closing %s: no complete request within %s", self.client, CONNECTION_TIMEOUT)
        self._close()

    def _on_write_stalled(self) -> None:
        self._write_timer = None
        log.debug("Aborting %s: the answer was not read within %s", self.client, CONNECTION_TIMEOUT)
        self.transport.abort()

    def _cancel_write_timer(self) -> None:
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def _close(self, *, abort: bool = True) -> None:
        self._stop_waiting()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False
        if abort:
            self.transport.abort()  # frees the file descriptor now, not after buffered writes
        else:
            self.transport.close()
