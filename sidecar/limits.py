"""Request limits: the body size (`server.max-request-size`), enforced before a body is buffered, and the
/route gate that bounds how many requests are classified, and answers held, at once."""

from __future__ import annotations

from typing import Final

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import HttpProblem
from .settings import MAX_REQUEST_SIZE


class RequestSizeLimit:
    """ASGI middleware: 413 for a body over `max_bytes`. The check runs when the handler reads the body: at
    once when Content-Length says so (nothing is read), else as soon as the streamed (chunked) body passes
    the limit. So an oversized body is never held in memory, and the refusal is counted under its route."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            # Raised inside the handler's body read: the problem handler answers 413.
            if declared is not None and declared > self.max_bytes:
                raise HttpProblem(413, self._message(declared))
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HttpProblem(413, self._message(received, streamed=True))
            return message

        await self.app(scope, limited_receive, send)

    def _message(self, size: int, *, streamed: bool = False) -> str:
        amount = f"more than {self.max_bytes} bytes" if streamed else f"{size} bytes"
        return (
            f"The request body is {amount}, over the limit of {self.max_bytes} bytes "
            f"({MAX_REQUEST_SIZE}). Send fewer records per batch, or raise {MAX_REQUEST_SIZE}."
        )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP server itself refuses a malformed Content-Length
    return None


# /route requests answered at once. Classifying is CPU work under one GIL: more at once only multiplies the
# memory held (each batch's records and answer) without answering sooner. The others wait, unread.
ROUTE_CONCURRENCY: Final = 2
# An answer is written in pieces this large, each after the client has read the previous ones: a client
# that does not read holds its turn (until server.connection-timeout aborts it), not another answer's memory.
_ANSWER_PIECE_BYTES: Final = 64 * 1024


class RouteGate:
    """ASGI middleware: at most ROUTE_CONCURRENCY requests under `prefix` are read, classified and answered
    at once, each until its answer is written; the health endpoints never wait for it."""

    def __init__(self, app: ASGIApp, prefix: str = "/route") -> None:
        self.app = app
        self.prefix = prefix
        self._turns = anyio.CapacityLimiter(ROUTE_CONCURRENCY)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def send_in_pieces(message: Message) -> None:
            body = message.get("body", b"")
            if message["type"] != "http.response.body" or len(body) <= _ANSWER_PIECE_BYTES:
                await send(message)
                return
            more = message.get("more_body", False)
            for start in range(0, len(body), _ANSWER_PIECE_BYTES):
                piece = body[start : start + _ANSWER_PIECE_BYTES]
                last = start + _ANSWER_PIECE_BYTES >= len(body)
                await send({"type": "http.response.body", "body": piece, "more_body": more or not last})

        async with self._turns:
            await self.app(scope, receive, send_in_pieces)
