"""Refused requests: one JSON shape (Spring Boot's error attributes) for every 4xx and 5xx, never a trace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from http import HTTPStatus

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response


class HttpProblem(Exception):
    """Raised by a handler to refuse a request with `status` and a message a person can act on."""

    def __init__(
        self,
        status: int,
        message: str,
        problems: Sequence[str] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = tuple(problems)
        self.headers = headers


def problem_response(
    status: int,
    message: str,
    path: str,
    problems: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The JSON answer for a refused request (see schemas.PROBLEM)."""
    body: dict[str, object] = {
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "status": status,
        "error": HTTPStatus(status).phrase,
        "message": message,
        "path": path,
    }
    if problems:
        body["problems"] = list(problems)
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type="application/json")


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every refusal, including the framework's own 404/405/422 and any crash, as a Problem."""

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HttpProblem)
        return problem_response(exc.status, exc.message, request.url.path, exc.problems, exc.headers)

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path
        if exc.status_code == 404:
            message = (
                f"There is no {request.method} {path} here. The endpoints are listed at /actuator "
                "(actuator) and /openapi.json or /docs (all)."
            )
        elif exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow") or (exc.headers or {}).get("allow") or "another method"
            message = f"{request.method} is not allowed on {path}: use {allowed}."
        else:
            message = str(exc.detail)
        return problem_response(exc.status_code, message, path, headers=exc.headers)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg', 'invalid')}"
            for error in exc.errors()
        ]
        message = "The request's parameters are invalid: " + "; ".join(problems)
        return problem_response(422, message, request.url.path, problems)

    async def on_crash(request: Request, exc: Exception) -> Response:
        # The stack trace goes to the log (uvicorn logs it when the exception propagates), not to the client.
        return problem_response(
            500,
            f"The sidecar failed on this request ({type(exc).__name__}); the details are in its log. "
            "This is a bug: please report it with the request that caused it.",
            request.url.path,
        )

    async def on_client_gone(request: Request, exc: Exception) -> Response:
        # The client left (or was cut for being slow, see connections.py) while its body was read: nobody
        # reads this answer, and a stack trace per such client would flood the log.
        return Response(status_code=400)

    app.add_exception_handler(ClientDisconnect, on_client_gone)
    app.add_exception_handler(HttpProblem, on_problem)
    app.add_exception_handler(HTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_crash)
