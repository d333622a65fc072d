"""POST /route and /route/batch: what the chain does with records, without Kafka."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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
from .settings import MAX_BATCH_RECORDS, MAX_REQUEST_SIZE
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
`{"records": [RecordIn, ...]}` in, `{"results": [RouteResult, ...], "bindings": {...}}` out, results in the
same order; `bindings` are the destinations the chain was built for (the pump's remote mode checks them). One invalid
record refuses the whole batch (422), naming each problem by its index. A batch over
`router.route.batch.max-records` records (default 5000) is refused with 413."""

_REFUSALS: Final[dict[int | str, dict[str, Any]]] = {
    400: schemas.problem("The body is not valid JSON."),
    413: schemas.problem(f"The body is over `{MAX_REQUEST_SIZE}`, or a batch over `{MAX_BATCH_RECORDS}`."),
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
            body = _utf8(request, body)
            try:
                record = wire.decode_record(wire.parse_json(body), state.input_topic)
            except wire.BadRecords as bad:
                exact = _exactly(bad, body, lambda document: wire.decode_record(document, state.input_topic))
                raise HttpProblem(422, f"The body is not a record: {exact}", exact.problems) from None
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
        body = _utf8(request, await request.body())
        batch = _Batch(state.input_topic, routing, metrics, state.settings.max_batch_records, state.bindings_json)
        if len(body) < _THREAD_THRESHOLD_BYTES:
            return Response(batch.answer(body), media_type="application/json")
        return Response(await anyio.to_thread.run_sync(batch.answer, body), media_type="application/json")

    return router


@dataclass(frozen=True, slots=True)
class _Batch:
    """What answering a batch needs, taken from the state once per request."""

    input_topic: str | None
    routing: tuple[RoutingChain, str | None]
    metrics: HttpMetrics
    max_records: int
    bindings_json: bytes

    def answer(self, body: bytes) -> bytes:
        """Parse, classify and encode a whole batch: the CPU-bound part, runnable in a worker thread. The
        answer says which bindings the chain routes for, so that a pump can refuse a sidecar set up for
        other topics (see pump/remote.py)."""
        try:
            document = wire.parse_json(body)
            count = wire.batch_length(document)
            if count > self.max_records:
                # Refused before a record is built: an answer is a few hundred bytes per record, whatever its size.
                raise HttpProblem(
                    413,
                    f"The batch has {count} records, over the limit of {self.max_records} records per request "
                    f"({MAX_BATCH_RECORDS}). Send fewer records per request, or raise {MAX_BATCH_RECORDS}.",
                )
            records = wire.decode_batch(document, self.input_topic)
        except wire.BadRecords as bad:
            exact = _exactly(bad, body, lambda document: wire.decode_batch(document, self.input_topic))
            raise HttpProblem(422, f"The batch has invalid records: {exact}", exact.problems) from None
        except ValueError as why:
            raise HttpProblem(400, str(why)) from None
        chain, dead_letter_topic = self.routing
        results = wire.dumps(_classify(chain, dead_letter_topic, records, self.metrics))
        return b'{"results":' + results + b',"bindings":' + self.bindings_json + b"}"


def _exactly(bad: wire.BadRecords, body: bytes, decode: Callable[[object], object]) -> wire.BadRecords:
    """The same problems, with each number quoted as sent (see wire.parse_json_exactly): refusals are rare,
    so the body is read a second time only for them."""
    try:
        decode(wire.parse_json_exactly(body))
    except wire.BadRecords as exact:
        return exact
    except ValueError:
        pass
    return bad


def _utf8(request: Request, body: bytes) -> bytes:
    """A JSON body as UTF-8: decoded from the charset its Content-Type declares, if another."""
    content_type = request.headers.get("content-type", "")
    charset = next(
        (
            value.strip().strip('"').lower()
            for name, _, value in (param.partition("=") for param in content_type.split(";")[1:])
            if name.strip().lower() == "charset"
        ),
        "utf-8",
    )
    if charset in ("utf-8", "utf8"):
        return body
    try:
        codec = codecs.lookup(charset)
    except LookupError:
        raise HttpProblem(
            415,
            f"Content-Type {content_type} names a charset this server does not know: send the JSON as UTF-8 "
            "(charset=utf-8, or none), or in a charset Python knows (latin-1, utf-16...).",
        ) from None
    try:
        return body.decode(codec.name).encode("utf-8", errors="surrogatepass")
    except UnicodeDecodeError as why:
        raise HttpProblem(
            400, f"The body is not valid {charset} (byte {why.start}), as its Content-Type says: {why.reason}."
        ) from None


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
