"""The sidecar's own Prometheus metrics: HTTP requests (Micrometer's names, so Spring dashboards work) and
records classified through /route. The pump registers its record metrics in the same registry."""

from __future__ import annotations

from time import perf_counter
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Seconds; Spring's SLO-style boundaries, finer at the low end where /route lives.
# Methods are labelled as sent only when standard: any other token would be a label value a client chooses.
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})

LATENCY_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """`http_server_requests_seconds{method,uri,status,outcome,exception}` (a histogram, as Micrometer
    publishes it with percentiles-histogram on) and `python_router_route_records_total{status}`."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Histogram(
            "http_server_requests_seconds",
            "HTTP requests served, by method, URI template, status, outcome and exception.",
            ["method", "uri", "status", "outcome", "exception"],
            registry=registry,
            buckets=LATENCY_BUCKETS,
        )
        self.route_records = Counter(
            "python_router_route_records",
            "Records classified through POST /route and /route/batch, by result (routed, dropped, failed).",
            ["status"],
            registry=registry,
        )
        # Children cached by label values: prometheus_client's labels() takes a lock and builds a key per
        # call, which would cost more than the rest of a /route request's bookkeeping.
        self._children: dict[tuple[str, str, int, str], Histogram] = {}
        self._records = {status: self.route_records.labels(status) for status in ("routed", "dropped", "failed")}

    def observe_request(self, method: str, uri: str, status: int, exception: str, seconds: float) -> None:
        key = (method, uri, status, exception)
        child = self._children.get(key)
        if child is None:
            child = self.requests.labels(method, uri, str(status), _outcome(status), exception)
            self._children[key] = child
        child.observe(seconds)

    def count_records(self, routed: int, dropped: int, failed: int) -> None:
        if routed:
            self._records["routed"].inc(routed)
        if dropped:
            self._records["dropped"].inc(dropped)
        if failed:
            self._records["failed"].inc(failed)


def _outcome(status: int) -> str:
    """Micrometer's `outcome` tag."""
    if status < 200:
        return "INFORMATIONAL"
    if status < 300:
        return "SUCCESS"
    if status < 400:
        return "REDIRECTION"
    if status < 500:
        return "CLIENT_ERROR"
    return "SERVER_ERROR"


class HttpMetricsMiddleware:
    """ASGI middleware timing every HTTP request into HttpMetrics. The `uri` label is the matched route's
    template (never the raw path, whose values would explode the label's cardinality); like Micrometer,
    NOT_FOUND for an unmatched 404, REDIRECTION for an unmatched 3xx, else UNKNOWN."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500
        exception = "none"

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        except Exception as exc:
            status, exception = 500, type(exc).__name__
            raise
        finally:
            uri = getattr(scope.get("route"), "path", None) or _unmatched_uri(status)
            method = scope["method"] if scope["method"] in _METHODS else "UNKNOWN"
            self.metrics.observe_request(method, uri, status, exception, perf_counter() - started)


def _unmatched_uri(status: int) -> str:
    if status == 404:
        return "NOT_FOUND"
    if 300 <= status < 400:
        return "REDIRECTION"
    return "UNKNOWN"
