"""OpenTelemetry: spans and a duration metric for MCP requests, named and
described as the OpenTelemetry semantic conventions for MCP say
(https://opentelemetry.io/docs/specs/semconv/gen-ai/mcp/).

Two levels, both children of the caller's trace:

* the request span (``tracing`` stage of the pipeline): one per HTTP request
  to an endpoint, joined to the ``traceparent`` header; left to the site's
  HTTP instrumentation when that already opened a span;
* the operation span (``Services._invoke``): one per tool call, resource read,
  prompt or completion, ``"{mcp.method.name} {target}"``, whose parent is the
  Trace Context the client put in the request's ``params._meta`` when it did
  (linked to the request span), else the request span; with the
  ``mcp.server.operation.duration`` histogram beside it.

Nothing here imports OpenTelemetry until ``Telemetry.from_settings()`` finds
the API installed and MCP_OPENTELEMETRY on. Until the site sets a tracer or
meter provider, neither level is part of the mount's pipeline, so a request
pays nothing: the event loop looks for a provider once a second
(``Telemetry.watch``) and the mount puts them in when it finds one."""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .. import _core
from ..conf import mcp_settings

if TYPE_CHECKING:
    from ..context import Context
    from .calls import Invoke
    from .io import Request, Scope

#: ``mcp.method.name`` of each kind of planned call.
METHODS: dict[str, str] = {
    "tool": "tools/call",
    "resource": "resources/read",
    "template": "resources/read",
    "prompt": "prompts/get",
    "completion": "completion/complete",
}

#: The bucket boundaries the conventions give ``mcp.server.operation.duration``, in seconds.
DURATION_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)

INSTRUMENTATION = "django_mcp"

#: Seconds between two looks for a provider while none is set: a site may set
#: it after the mount is made (gunicorn's post_fork hook, with preload_app).
PROVIDER_CHECK_INTERVAL = 1.0


def installed() -> bool:
    """Whether ``opentelemetry-api`` can be imported (asked without importing it)."""
    return importlib.util.find_spec("opentelemetry") is not None and (
        importlib.util.find_spec("opentelemetry.trace") is not None
    )


class Telemetry:
    """A mount's tracer and meter. Made by ``from_settings`` only when the API
    is installed and MCP_OPENTELEMETRY is on."""

    def __init__(self) -> None:
        from opentelemetry import context, metrics, propagate, trace

        self._context = context
        self._trace = trace
        self._metrics = metrics
        self._propagate = propagate
        #: The site has set a tracer or meter provider (``recording``).
        self.ready = False
        #: The event loop looking for one (``watch``), while none is set.
        self._watching: asyncio.AbstractEventLoop | None = None
        self.tracer: Any = None
        self.duration: Any = None

    @classmethod
    def from_settings(cls) -> Telemetry | None:
        if not mcp_settings.MCP_OPENTELEMETRY or not installed():
            return None
        return cls()

    def recording(self) -> bool:
        """Whether the site has set a tracer or meter provider; the first yes
        makes the tracer and the duration histogram, and is kept (providers
        are set once)."""
        if self.ready:
            return True
        trace, metrics = self._trace, self._metrics
        tracer_provider = trace.get_tracer_provider()
        meter_provider = metrics.get_meter_provider()
        real_tracer = not isinstance(tracer_provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider))
        real_meter = type(meter_provider).__name__ not in ("_ProxyMeterProvider", "NoOpMeterProvider")
        if not (real_tracer or real_meter):
            return False
        self.tracer = trace.get_tracer(INSTRUMENTATION, _core.__version__)
        meter = metrics.get_meter(INSTRUMENTATION, _core.__version__)
        self.duration = meter.create_histogram(
            "mcp.server.operation.duration",
            unit="s",
            description="MCP request duration as observed on the receiver from the time it was received until "
            "the result is sent.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self.ready = True
        return True

    def watch(self, on_ready: Callable[[], None]) -> bool:
        """Until a provider is set, looks for one every PROVIDER_CHECK_INTERVAL
        seconds from the running event loop, and calls ``on_ready`` (in that
        loop) when it finds it. False when no event loop runs here to look
        from, or the loop that looked has closed: ask again from one."""
        if self.ready or (self._watching is not None and not self._watching.is_closed()):
            return True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        self._watching = loop

        def look() -> None:
            if self.recording():
                self._watching = None
                on_ready()
            else:
                loop.call_later(PROVIDER_CHECK_INTERVAL, look)

        loop.call_later(PROVIDER_CHECK_INTERVAL, look)
        return True

    # -- the request span ----------------------------------------------------

    def has_current_span(self) -> bool:
        return bool(self._trace.get_current_span().get_span_context().is_valid)

    def enter(self, request: Request, route: str | None) -> tuple[Any, Any]:
        """Starts the request's span, in the trace its ``traceparent`` /
        ``tracestate`` headers name (else a new one), and makes it current.
        It is named after the endpoint's route (``POST /mcp/<slug:team>/http``),
        not its path, so that a mount with path parameters has one name."""
        scope = request.scope
        carrier = _headers(scope)
        parent = self._propagate.extract(carrier) if "traceparent" in carrier else None
        method = scope["method"]
        endpoint = request.path if route is None else route.rstrip("/") + request.endpoint
        attributes = {
            "http.request.method": method,
            "http.route": endpoint,
            "url.path": scope.get("path", ""),
            **_network(scope),
        }
        session_id = carrier.get("mcp-session-id")
        if session_id is not None:
            attributes["mcp.session.id"] = session_id
        version = carrier.get("mcp-protocol-version")
        if version is not None:
            attributes["mcp.protocol.version"] = version
        trace = self._trace
        span = self.tracer.start_span(
            f"{method} {endpoint}", context=parent, kind=trace.SpanKind.SERVER, attributes=attributes
        )
        return span, self._context.attach(trace.set_span_in_context(span, parent))

    def leave(self, span: Any, token: Any, status: int) -> None:
        """Ends the request's span, with the response's status."""
        self._context.detach(token)
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_attribute("error.type", str(status))
            span.set_status(self._trace.StatusCode.ERROR)
        span.end()

    # -- operation spans -----------------------------------------------------

    def invoke(self, call: Invoke) -> Invoke:
        """``call`` with a span and a duration for each planned call (once a
        provider is set: ``Services`` asks ``recording()`` first)."""

        return functools.partial(self._traced, call)

    async def _traced(self, call: Invoke, planned: _core.Call, ctx: Context) -> bytes:
        trace = self._trace
        started = time.perf_counter()
        method = METHODS.get(planned.kind, planned.kind)
        attributes = _operation(planned, method, ctx.scope or {})
        parent, links = self._parent(planned)
        name = f"{method} {planned.target}" if planned.kind in ("tool", "prompt") else method
        with self.tracer.start_as_current_span(
            name,
            context=parent,
            kind=trace.SpanKind.SERVER,
            attributes=attributes,
            links=links,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                message = await call(planned, ctx)
            except BaseException as e:
                failure = {"error.type": type(e).__qualname__}
                span.set_attributes(failure)
                span.set_status(trace.StatusCode.ERROR, str(e) or type(e).__qualname__)
                self._measure(started, attributes, failure)
                raise
            failed = _failure(message)
            if failed is not None:
                span.set_attributes(failed[0])
                span.set_status(trace.StatusCode.ERROR, failed[1])
            self._measure(started, attributes, failed[0] if failed is not None else None)
            return message

    def _parent(self, planned: _core.Call) -> tuple[Any, list[Any]]:
        """The Trace Context of the request's ``_meta`` as the parent, linked to
        the span current here (the request's); else no parent given: the current span."""
        traceparent = planned.traceparent
        if traceparent is None:
            return None, []
        carrier = {"traceparent": traceparent}
        if planned.tracestate is not None:
            carrier["tracestate"] = planned.tracestate
        parent = self._propagate.extract(carrier)
        if not self._trace.get_current_span(parent).get_span_context().is_valid:
            return None, []  # not a valid traceparent: as if there were none
        current = self._trace.get_current_span().get_span_context()
        return parent, [self._trace.Link(current)] if current.is_valid else []

    def _measure(self, started: float, attributes: Mapping[str, Any], failure: Mapping[str, Any] | None) -> None:
        measured = {k: v for k, v in attributes.items() if k not in _SPAN_ONLY}
        if failure:
            measured.update(failure)
        self.duration.record(time.perf_counter() - started, measured)


#: Attributes of the span left off the metric (one value per request: unbounded cardinality).
_SPAN_ONLY = frozenset({"jsonrpc.request.id", "mcp.session.id", "mcp.resource.uri", "client.address", "client.port"})


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _network(scope: Mapping[str, Any]) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "network.transport": "tcp",
        "network.protocol.name": "http",
        "network.protocol.version": scope.get("http_version", "1.1"),
    }
    server = scope.get("server")
    if server:
        attributes["server.address"], attributes["server.port"] = server[0], server[1]
    client = scope.get("client")
    if client:
        attributes["client.address"], attributes["client.port"] = client[0], client[1]
    return attributes


def _operation(planned: _core.Call, method: str, scope: Mapping[str, Any]) -> dict[str, Any]:
    """The operation span's attributes (``mcp.*``, ``gen_ai.*``, ``jsonrpc.*``, network)."""
    attributes: dict[str, Any] = {"mcp.method.name": method, "mcp.protocol.version": planned.protocol_version}
    kind = planned.kind
    if kind == "tool":
        attributes["gen_ai.tool.name"] = planned.target
        attributes["gen_ai.operation.name"] = "execute_tool"
    elif kind == "prompt":
        attributes["gen_ai.prompt.name"] = planned.target
    elif kind in ("resource", "template"):
        attributes["mcp.resource.uri"] = planned.target
    request_id = planned.id
    if request_id and request_id != "null":
        attributes["jsonrpc.request.id"] = json.loads(request_id) if request_id[0] == '"' else request_id
    session_id = _core.header(scope.get("headers", ()), b"mcp-session-id")
    if session_id is not None:
        attributes["mcp.session.id"] = session_id.decode("latin-1")
    attributes.update(_network(scope))
    return attributes


def _failure(message: bytes) -> tuple[dict[str, str], str] | None:
    """``error.type`` (and the JSON-RPC code) with the status description for a
    response that failed: a JSON-RPC error, or a tool result with ``isError``."""
    if b'"error":{' in message[:200]:
        error = json.loads(message).get("error") or {}
        code = str(error.get("code", "_OTHER"))
        return {"error.type": code, "rpc.response.status_code": code}, str(error.get("message", ""))
    if b'"isError":true' in message:
        return {"error.type": "tool_error"}, "tool_error"
    return None
