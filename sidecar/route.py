"""POST /route and /route/batch: what the chain does with records, without Kafka."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import anyio.to_thread
from fastapi import APIRouter, Request
from starlette.responses import Response

from spring_properties.binder_names import INPUT_DESTINATION
from transforms.errors import TransformError
from transforms.record import Record

from . import schemas, wire
from .chain import RoutingChain
from .metrics import HttpMetrics
from .problems import HttpProblem
from .settings import MAX_REQUEST_SIZE
from .state import SidecarState

# Bodies that are the bare value. curl -d sends application/x-www-form-urlencoded without encoding
# anything, so that body is the value as typed too.
RAW_TYPES: Final = frozenset({"text/plain", "application/octet-stream", "application/x-www-form-urlencoded"})

# A batch body this large (a few hundred records) is classified in a worker thread, so that health probes
# are answered meanwhile; a smaller one is not worth the thread hop.
_THREAD_THRESHOLD_BYTES: Final = 16 * 1024

_ROUTE_DOC: Final = """Classify one record: which topic the chain routes it to, and what it becomes.

Send a JSON `RecordIn`, or the bare value as `text/plain` (`curl -d '05/17/19 17:56:36' localhost:8080/route`
works too: curl's default form content type is taken as the bare value, not decoded). A chain failure is
not an HTTP error: the answer is 200 with `status: failed`, the `error`, and the `dead_letter_topic` the
pump would send the record to (with `errors.tolerance=all`)."""

_BATCH_DOC: Final = """Classify many records in one request (the pump's remote mode sends a poll's worth):
`{"records": [RecordIn, ...]}` in, `{"results": [RouteResult, ...]}` out, in the same order. One invalid
record refuses the whole batch (422), naming each problem by its index."""

_REFUSALS: Final[dict[int | str, dict[str, Any]]] = {
    400: schemas.problem("The body is not valid JSON."),
    413: schemas.problem(f"The body is over `{MAX_REQUEST_SIZE}`."),
    415: schemas.problem("The Content-Type is not one /route reads."),
    422: schemas.problem("The JSON is not a record (a wrong field, type or value); each problem is listed."),
    503: schemas.problem("The routing chain is not loaded yet; retry after `Retry-After` seconds."),
}


def route_router(state: SidecarState, metrics: HttpMetrics) -> APIRouter:
    """The /route endpoints over `state`'s chain, counting records in `metrics`."""
    router = APIRouter(tags=["route"])

    @router.post(
        "/route",
        summary="Classify one record",
        description=_ROUTE_DOC,
        response_class=Response,
        responses={200: schemas.json_body("RouteResult", "What the chain does with the record."), **_REFUSALS},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/RecordIn"}},
                    "text/plain": {"schema": {"type": "string"}, "example": "05/17/19 17:56:36"},
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        },
    )
    async def route(request: Request) -> Response:
        chain, dead_letter_topic = _routing(state)
        media_type = _media_type(request)
        body = await request.body()
        if media_type is None and not body:
            raise HttpProblem(
                400,
                "The request has no body. Send the value (curl -d '05/17/19 17:56:36' ...), or a JSON record "
                "with Content-Type: application/json. An empty value is sent as an empty text/plain body.",
            )
        if media_type is None or media_type in RAW_TYPES:
            record = Record(topic=_raw_topic(state), value=body)
        elif _is_json(media_type):
            try:
                record = wire.decode_record(wire.parse_json(body), state.input_topic)
            except wire.BadRecords as bad:
                raise HttpProblem(422, f"The body is not a record: {bad}", bad.problems) from None
            except ValueError as why:
                raise HttpProblem(400, str(why)) from None
        else:
            raise _unsupported(media_type, "application/json (a RecordIn), text/plain or application/octet-stream")
        results = _classify(chain, dead_letter_topic, (record,), metrics)
        return Response(wire.dumps(results[0]), media_type="application/json")

    @router.post(
        "/route/batch",
        summary="Classify many records",
        description=_BATCH_DOC,
        response_class=Response,
        responses={200: schemas.json_body("BatchResult", "A result per record, in order."), **_REFUSALS},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchIn"}}},
            }
        },
    )
    async def route_batch(request: Request) -> Response:
        routing = _routing(state)
        media_type = _media_type(request)
        if media_type is None or not _is_json(media_type):
            raise _unsupported(media_type, 'application/json, {"records": [...]}')
        body = await request.body()
        if len(body) < _THREAD_THRESHOLD_BYTES:
            return Response(_batch(body, state.input_topic, routing, metrics), media_type="application/json")
        answer = await anyio.to_thread.run_sync(_batch, body, state.input_topic, routing, metrics)
        return Response(answer, media_type="application/json")

    return router


def _batch(
    body: bytes, input_topic: str | None, routing: tuple[RoutingChain, str | None], metrics: HttpMetrics
) -> bytes:
    """Parse, classify and encode a whole batch: the CPU-bound part, runnable in a worker thread."""
    try:
        records = wire.decode_batch(wire.parse_json(body), input_topic)
    except wire.BadRecords as bad:
        raise HttpProblem(422, f"The batch has invalid records: {bad}", bad.problems) from None
    except ValueError as why:
        raise HttpProblem(400, str(why)) from None
    chain, dead_letter_topic = routing
    return wire.dumps({"results": _classify(chain, dead_letter_topic, records, metrics)})


def _classify(
    chain: RoutingChain, dead_letter_topic: str | None, records: Iterable[Record], metrics: HttpMetrics
) -> list[wire.JsonObject]:
    apply = chain.apply
    routed = wire.routed
    dropped_result = wire.DROPPED
    results: list[wire.JsonObject] = []
    append = results.append
    dropped = failed = 0
    for record in records:
        try:
            out = apply(record)
        except TransformError as error:
            append(wire.failed(error.failure, dead_letter_topic))
            failed += 1
            continue
        if out is None:
            append(dropped_result)
            dropped += 1
        else:
            append(routed(out))
    metrics.count_records(len(results) - dropped - failed, dropped, failed)
    return results


def _routing(state: SidecarState) -> tuple[RoutingChain, str | None]:
    routing = state.routing
    if routing is None:
        raise HttpProblem(
            503,
            "The routing chain is not loaded yet; retry in a moment (GET /actuator/health/readiness says when it is).",
            headers={"Retry-After": "1"},
        )
    return routing


def _raw_topic(state: SidecarState) -> str:
    topic = state.input_topic
    if topic is None:
        raise HttpProblem(
            422,
            "A bare value needs the input binding's destination as its topic, and none is configured "
            f'({INPUT_DESTINATION}). Send JSON with a "topic" instead.',
        )
    return topic


def _media_type(request: Request) -> str | None:
    content_type = request.headers.get("content-type")
    if content_type is None:
        return None
    return content_type.partition(";")[0].strip().lower() or None


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def _unsupported(media_type: str | None, accepted: str) -> HttpProblem:
    shown = media_type or "(none)"
    return HttpProblem(415, f"Content-Type {shown} is not accepted here. Send {accepted}.")
