"""Classification through the sidecar's `POST /route/batch` (the two-container pod): same outcomes as the
in-process chain, with the wire format of docs/http.md. While the sidecar cannot answer, `classify` raises
ClassifierUnavailable, and the pump rewinds and retries the batch, committing nothing.

Every answer says which bindings the sidecar's chain routes for; one that differs from the pump's own
(a sidecar configured for other topics) is refused the same way, so no record is misrouted."""

from __future__ import annotations

import binascii
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

from transforms.errors import Failure
from transforms.record import Header, Record

from .classifier import Outcome
from .errors import ClassifierUnavailable

BATCH_PATH: Final = "/route/batch"
# The property that turns the remote mode on (python-router's own; the entry point reads it).
ROUTER_URL: Final = "router.url"

# The sidecar's default server.max-request-size is 1 MiB: requests stay under it, one record at least.
DEFAULT_MAX_REQUEST_BYTES: Final = 1024 * 1024
# Records per request: under the sidecar's default router.route.batch.max-records (5000); a sidecar set
# lower answers 413, and the request is split until it fits.
MAX_RECORDS_PER_REQUEST: Final = 1000
_JSON: Final = {"content-type": "application/json"}
_ROUTE_ENABLED_HINT: Final = "router.route.enabled=true (router.mode=sidecar)"


class RemoteClassifier:
    """Classifies batches by POSTing them to `<url>/route/batch`.

    >>> bindings = {"input": "timeDest", "even": "evenDest", "odd": "oddDest"}
    >>> classifier = RemoteClassifier("http://localhost:8080", bindings)  # doctest: +SKIP

    A connection error, a timeout or a 5xx answer (the sidecar starting, or gone) raises
    ClassifierUnavailable. A 4xx answer refuses what was sent, so the request is split until the record
    the sidecar refuses is found, and that record fails (stage ROUTE_REQUEST) like any record a stage
    fails on: dead-lettered or stopped at, per errors.tolerance. An answer whose bindings are not `bindings`
    (the pump's own) raises ClassifierUnavailable naming both sides' destinations; `check()` asks at startup.
    """

    def __init__(
        self,
        url: str,
        bindings: Mapping[str, str],
        *,
        timeout_s: float = 30.0,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url.rstrip("/") + BATCH_PATH
        self.shown_url = _shown(self.url)  # for messages and health: a password in the URL is masked
        self._max_request_bytes = max_request_bytes
        self._bindings = dict(bindings)
        self._client = client if client is not None else httpx.Client(timeout=timeout_s)
        self._error: str | None = None
        self._answered = False

    def classify(self, records: Sequence[Record]) -> list[Outcome]:
        encoded = [orjson.dumps(_record_in(record)) for record in records]
        outcomes: list[Outcome] = []
        for start, end in self._chunks(encoded):
            outcomes.extend(self._post(records, encoded, start, end))
        return outcomes

    def check(self) -> None:
        """Ask the sidecar, with an empty batch, whether it routes for this pump's bindings (at startup: each
        later answer is checked too). Raises ClassifierUnavailable when it cannot answer or differs."""
        refused = self._post([], [], 0, 0)
        if refused:  # a 4xx to an empty batch: not a sidecar that routes (router.route.enabled=false, a proxy...)
            failure = refused[0]
            assert isinstance(failure, Failure)
            raise self._unavailable(
                f"the sidecar at {self.shown_url} refused an empty batch ({failure.exception_class}): "
                f"{failure.message}; check that router.url points at a sidecar with {_ROUTE_ENABLED_HINT}"
            )

    def health(self) -> Mapping[str, Mapping[str, object]]:
        details: dict[str, object] = {"url": self.shown_url}
        if self._error is not None:
            details["error"] = self._error
            return {"remoteRouter": {"status": "DOWN", "details": details}}
        return {"remoteRouter": {"status": "UP" if self._answered else "UNKNOWN", "details": details}}

    def close(self) -> None:
        self._client.close()

    def _chunks(self, encoded: Sequence[bytes]) -> Iterator[tuple[int, int]]:
        """[start, end) ranges whose request bodies stay under the size limit (one record at least)."""
        start, size = 0, 0
        for index, body in enumerate(encoded):
            size += len(body) + 1
            if index > start and (size > self._max_request_bytes or index - start >= MAX_RECORDS_PER_REQUEST):
                yield start, index
                start, size = index, len(body) + 1
        if start < len(encoded):
            yield start, len(encoded)

    def _post(self, records: Sequence[Record], encoded: Sequence[bytes], start: int, end: int) -> list[Outcome]:
        body = b'{"records":[' + b",".join(encoded[start:end]) + b"]}"
        try:
            response = self._client.post(self.url, content=body, headers=_JSON)
        except httpx.HTTPError as why:
            raise self._unavailable(
                f"the sidecar at {self.shown_url} cannot be reached: {type(why).__name__}: {why}"
            ) from why
        if response.status_code >= 500:
            raise self._unavailable(
                f"the sidecar at {self.shown_url} answered {response.status_code}: {_detail(response)}"
            )
        if response.status_code >= 400:
            if end - start > 1:  # find the record it refuses; the others are fine
                middle = (start + end) // 2
                return self._post(records, encoded, start, middle) + self._post(records, encoded, middle, end)
            return [_refused(self.shown_url, response)]
        try:
            answer = orjson.loads(response.content)
            self._check_bindings(answer.get("bindings"))
            results = answer["results"]
            if len(results) != end - start:
                raise ValueError(f"{len(results)} results for {end - start} records")
            outcomes = [_outcome(result, record) for result, record in zip(results, records[start:end], strict=True)]
        except (ValueError, KeyError, TypeError, AttributeError) as why:
            raise self._unavailable(
                f"the sidecar at {self.shown_url} answered something that is not /route/batch's format ({why}): "
                f"check that {ROUTER_URL} points at python-router's sidecar, of the same version"
            ) from why
        self._answered, self._error = True, None
        return outcomes

    def _check_bindings(self, theirs: object) -> None:
        if theirs is None:
            raise self._unavailable(
                f"the sidecar at {self.shown_url} does not say which bindings it routes for (a python-router "
                "older than this pump?): refusing to route through it; run the sidecar at the same version"
            )
        if theirs != self._bindings:
            raise self._unavailable(
                f"the sidecar at {self.shown_url} routes for bindings {_listed(theirs)}, but this pump's are "
                f"{_listed(self._bindings)}: refusing to route through it (its records would go to the sidecar's "
                "destinations). Give both containers the same spring.cloud.stream.bindings.<name>.destination "
                "properties."
            )

    def _unavailable(self, message: str) -> ClassifierUnavailable:
        self._error = message
        return ClassifierUnavailable(message[0].upper() + message[1:])


def _listed(bindings: object) -> str:
    if not isinstance(bindings, Mapping):
        return repr(bindings)
    return ", ".join(f"{name}->{destination}" for name, destination in bindings.items()) or "(none)"


def _record_in(record: Record) -> dict[str, Any]:
    value, value_b64 = _text_or_base64(record.value)
    key, key_b64 = _text_or_base64(record.key)
    headers = []
    for name, raw in record.headers:
        text, b64 = _text_or_base64(raw)
        headers.append({"key": name, "value": text, "value_base64": b64})
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp,
        "key": key,
        "key_base64": key_b64,
        "value": value,
        "value_base64": value_b64,
        "headers": headers,
    }


def _text_or_base64(raw: bytes | None) -> tuple[str | None, str | None]:
    if raw is None:
        return None, None
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return None, binascii.b2a_base64(raw, newline=False).decode("ascii")
    # Lone surrogates cannot be JSON text the sidecar accepts; UTF-8 never decodes to them, so text is safe.
    return text, None


def _bytes(text: str | None, b64: str | None) -> bytes | None:
    if text is not None:
        return text.encode()
    if b64 is not None:
        return binascii.a2b_base64(b64)
    return None


def _outcome(result: Mapping[str, Any], record: Record) -> Outcome:
    """The outcome a RouteResult describes. It has no offset: the input's is kept, as the chain keeps it."""
    status = result["status"]
    if status == "routed":
        return Record(
            topic=result["topic"],
            value=_bytes(result.get("value"), result.get("value_base64")),
            key=_bytes(result.get("key"), result.get("key_base64")),
            headers=_headers(result.get("headers") or ()),
            partition=result.get("partition"),
            offset=record.offset,
            timestamp=result.get("timestamp"),
        )
    if status == "dropped":
        return None
    if status == "failed":
        error = result["error"]
        return Failure(
            stage=error["stage"],
            alias=error["alias"],
            class_name=error["class_name"],
            exception_class=error["exception_class"],
            message=error["message"],
            retriable=bool(error.get("retriable")),
        )
    raise ValueError(f"unknown status {status!r}")


def _headers(raw: Sequence[Mapping[str, Any]]) -> tuple[Header, ...]:
    # A null header value stays None, as it came (Record types values as bytes; Kafka allows null).
    return tuple((h["key"], _bytes(h.get("value"), h.get("value_base64"))) for h in raw)  # type: ignore[misc]


def _refused(url: str, response: httpx.Response) -> Failure:
    return Failure(
        stage="ROUTE_REQUEST",
        alias="",
        class_name=f"POST {url}",
        exception_class=f"HTTP {response.status_code}",
        message=f"the sidecar refused the record: {_detail(response)}",
    )


def _detail(response: httpx.Response) -> str:
    """The sidecar's message (Spring Boot's error shape), a problem+json detail, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        return str(body.get("message") or body.get("detail") or body.get("title") or body)[:300]
    return str(body)[:300]


def _shown(url: str) -> str:
    """`url` with any password in it masked, as Spring masks one in a URL."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:******@{host}"))
