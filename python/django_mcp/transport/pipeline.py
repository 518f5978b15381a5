"""The request pipeline: the stages an MCP request passes on its way to its
transport, composed once per mount from what the settings turn on.

A stage is a function ``stage(inner, services)`` that returns a handler
wrapping ``inner`` (``async handler(request)``), or None when its setting is
off, so nothing is paid for what is not configured. ``STAGES`` lists them,
outermost first: a new concern is one more function here and one more name
in that list (concerns of each call rather than each request, such as the
audit log, wrap the call in ``Services._invoke``). Inside, each transport
runs the same steps: read the body (``body.py``), ask the engine for a plan,
run the calls (``calls.py``) and write the answer (``Services.write``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .. import _core
from .io import Message, Request, respond
from .services import Services

Handler = Callable[[Request], Awaitable[None]]
Stage = Callable[[Handler, Services], "Handler | None"]


def noting_status(request: Request) -> Callable[[], int]:
    """Wraps ``request.send`` so that the returned function gives the status
    of the response sent (0 until it starts), for the stages that report it."""
    status = 0
    send = request.send

    async def send_noting_status(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    request.send = send_noting_status
    return lambda: status


def admission(inner: Handler, services: Services) -> Handler | None:
    """Authentication and the access rules' first look (``auth.gate``): a
    refused request is answered 401 / 403 here and goes no further."""
    gate = services.gate
    if not gate.active:
        return None

    async def admit(request: Request) -> None:
        request.scope["mcp.endpoint"] = request.path
        refused = await gate.admit(request.scope, request.path)
        if refused is not None:
            await respond(request.send, refused.status, refused.headers, refused.body)
            return
        await inner(request)

    return admit


def cors(inner: Handler, services: Services) -> Handler | None:
    """MCP_HTTP_CORS_ENABLED: answers preflights, and adds the CORS headers
    an allowed origin needs to every response."""
    policy = services.cors
    if policy is None:
        return None

    async def with_cors(request: Request) -> None:
        origin = _core.header(request.scope["headers"], b"origin")
        if request.scope["method"] == "OPTIONS":
            status, headers = policy.preflight(origin)
            await respond(request.send, status, headers, b"")
            return
        extra = policy.response_headers(origin)
        if extra:
            send = request.send

            async def send_with_cors(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", ()), *extra]}
                await send(message)

            request.send = send_with_cors
        await inner(request)

    return with_cors


def metrics(inner: Handler, services: Services) -> Handler | None:
    """MCP_HTTP_ENABLE_METRICS: counts requests by method and status, and times them."""
    counters = services.metrics
    if counters is None:
        return None

    async def measured(request: Request) -> None:
        started = counters.request_started()
        status = noting_status(request)
        try:
            await inner(request)
        finally:
            counters.request_finished(started, request.scope["method"], status())

    return measured


def tracing(inner: Handler, services: Services) -> Handler | None:
    """MCP_OPENTELEMETRY (with opentelemetry-api installed and a provider
    set): a span for the request, in the trace its ``traceparent`` header
    names; the calls' spans are its children (``telemetry.py``). Left out
    until a provider is set (the mount puts it in when one is)."""
    telemetry = services.telemetry
    if telemetry is None or not telemetry.recording():
        return None
    route = services.route

    async def traced(request: Request) -> None:
        if telemetry.has_current_span():
            # The site's HTTP instrumentation has the request's span.
            await inner(request)
            return
        span, token = telemetry.enter(request, route)
        status = noting_status(request)
        try:
            await inner(request)
        finally:
            telemetry.leave(span, token, status())

    return traced


#: The stages before the transport, outermost first.
STAGES: tuple[Stage, ...] = (tracing, admission, cors, metrics)


def compose(transport: Handler, services: Services) -> Handler:
    """``transport`` inside the stages the settings turn on."""
    handler = transport
    for stage in reversed(STAGES):
        handler = stage(handler, services) or handler
    return handler
