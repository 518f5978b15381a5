"""``mount_mcp_server``: an ASGI app that answers MCP below a path and hands
every other request (and lifespan) to the Django application untouched."""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from time import monotonic as _monotonic
from typing import Any

from pydantic_core import to_json

from . import _core, stateful
from .auth.gate import WELL_KNOWN, Gate, caller
from .conf import mcp_settings, on_reload
from .context import Context
from .http_extras import COMPRESSION_THRESHOLD, Cors, Metrics, accepts_compression, compress, encode_body, header
from .invoke import timeout as _timeout
from .multiround import InputRound, InvalidRequestState
from .server import MCPApp
from .server import mcp_app as default_app
from .sessions import MemoryStore, SessionStore, make_store
from .streaming import SweptStream
from .streaming import until_disconnect as _until_disconnect
from .subscriptions import honored

logger = logging.getLogger("django_mcp")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: ``http_stateless``: Streamable HTTP without sessions (2026-07-28 style for
#: every client); ``http``: Streamable HTTP with sessions for handshake-era
#: clients; ``sse``: the HTTP+SSE transport of 2024-11-05.
TRANSPORTS = ("http_stateless", "http", "sse")

_CONVERTERS: dict[str, Callable[[str], Any]] = {"int": int, "uuid": uuid.UUID}

_MCP_ENDPOINT = "/http"
_SSE_ENDPOINTS = {"/sse": "sse", "/messages/": "messages", "/messages": "messages"}


class _BodyTooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int, first: bytes = b"") -> bytes | None:
    """The request body (after ``first``, its part already received), or None
    when the client went away first."""
    chunks: list[bytes] = [first] if first else []
    size = len(first)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit and size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


#: Content-Length values by body size, made once each (formatting one costs
#: more than the lookup); sizes of up to MAX_CACHED_LENGTH bytes are kept.
_LENGTHS: dict[int, bytes] = {}
MAX_CACHED_LENGTH = 16384


def _content_length(size: int) -> bytes:
    value = b"%d" % size
    if size <= MAX_CACHED_LENGTH:
        _LENGTHS[size] = value
    return value


async def _respond(send: Send, status: int, headers: list[Any], body: bytes) -> None:
    """One complete response. Its length is declared, so no chunked framing."""
    length = _LENGTHS.get(len(body)) or _content_length(len(body))
    headers = [*headers, (b"content-length", length)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_heap_frozen = False


def _freeze_started_heap() -> None:
    """MCP_GC_FREEZE: once per process, when ``mount_mcp_server()`` runs (the
    ASGI module is loaded, Django is set up).

    A started Django process holds tens of thousands of objects that live as
    long as it does. Each full pass of the garbage collector walks all of
    them (tens of milliseconds here), and under load full passes come often
    enough to be the p99 latency: once the objects of the requests in flight
    outnumber the collector's first threshold (700), every few requests start
    a young collection, and every hundred or so of those a full one. Frozen
    (``gc.freeze()``), the started heap is left out of every later pass.
    Garbage is collected first, so none of it is kept for good. Not done for
    mounts made otherwise (``django_mcp.test``, the urls.py views), so a test
    process's heap is left alone."""
    global _heap_frozen
    if _heap_frozen or not mcp_settings.MCP_GC_FREEZE:
        return
    _heap_frozen = True
    gc.collect()
    gc.freeze()
    logger.debug(
        "Froze the %d objects of the started process out of the garbage collector's passes (MCP_GC_FREEZE)",
        gc.get_freeze_count(),
    )


if sys.version_info >= (3, 12):
    _current_task = asyncio.current_task  # a C function
else:
    _tasks_by_loop = asyncio.tasks._current_tasks  # type: ignore[attr-defined]
    _running_loop = asyncio.get_running_loop

    def _current_task() -> asyncio.Task[Any] | None:
        """The task running the caller, who must be inside a task's step (every
        caller here is: ASGI servers run each request in a task).

        Before 3.12 get_running_loop() makes a getpid() system call each time,
        a kernel round trip per request. asyncio keeps the task whose step is
        running, per running loop; when one task is stepping in the whole
        process (one loop: the usual case), it is the caller's. With several
        (loops in other threads), the caller's loop is asked for as before.
        The unpacking is one step of the interpreter, so another thread
        cannot add a task between the count and the read."""
        try:
            (task,) = _tasks_by_loop.values()
        except ValueError:  # none or several
            return _tasks_by_loop.get(_running_loop())  # type: ignore[no-any-return]
        return task  # type: ignore[no-any-return]


class InFlight:
    """The calls a mount is running, by task.

    notifications/cancelled finds a call here by (caller, request id): the
    session, or without one the principal, or for an anonymous caller its
    connection (``auth.gate.caller``). Ids are unique per client, so should two
    calls still match, a cancellation stops nothing rather than the wrong call.

    MCP_HTTP_REQUEST_TIMEOUT is enforced here too: each call gets a deadline,
    and one sweep, every tenth of the timeout (at least every second), cancels
    the calls past theirs. That costs a dictionary entry per call instead of a
    timer per call, and a call may overrun its timeout by up to one period.
    The same sweep starts the keepalive pings of event streams that stayed
    silent for MCP_HTTP_SSE_KEEPALIVE seconds (checked every quarter of it).
    """

    def __init__(self) -> None:
        self.running: dict[asyncio.Task[Any], Context] = {}
        #: Event streams not yet pinging (streaming.SweptStream).
        self.streams: set[SweptStream] = set()
        #: Tasks cancelled by their client, and by their deadline.
        self.cancelled: set[asyncio.Task[Any]] = set()
        self.timed_out: set[asyncio.Task[Any]] = set()
        #: When the sweep last ran (monotonic seconds); it counts as stopped
        #: ``patience`` seconds after that. A sweep stops when no call is left,
        #: or with its event loop, and the next call starts one.
        self.swept = -1e18
        self.configure(None, 15.0)  # the mount configures it from settings

    def configure(self, timeout: float | None, keepalive: float) -> None:
        """MCP_HTTP_REQUEST_TIMEOUT (None: no limit) and MCP_HTTP_SSE_KEEPALIVE:
        sweeps every tenth of the timeout and every quarter of the keepalive
        interval, at least every second."""
        self.timeout = timeout
        self.keepalive = keepalive
        self.period = max(0.01, min(1.0, timeout / 10 if timeout else 1.0, keepalive / 4))
        self.patience = 2 * self.period

    def start_sweeping(self) -> None:
        """Sweeps from the running event loop until no call is left."""
        self.swept = _monotonic()
        asyncio.get_running_loop().call_later(self.period, self._sweep)

    def _sweep(self) -> None:
        now = self.swept = _monotonic()
        loop = asyncio.get_running_loop()
        for task, ctx in list(self.running.items()):
            if ctx._deadline is not None and ctx._deadline <= now and task not in self.timed_out and not task.done():
                self.timed_out.add(task)
                _on_loop(task.get_loop(), task.cancel)
        for stream in list(self.streams):
            target = stream.loop  # None once the stream closed
            if target is None:
                self.streams.discard(stream)
                continue
            if stream.receive is not None and stream.watcher is None:
                # Still running at a sweep: watch for the client closing it.
                _on_loop(target, stream.start_watching)
            if now - stream.since >= self.keepalive:
                self.streams.discard(stream)
                _on_loop(target, functools.partial(stream.start_pinging, self.keepalive))
        if (self.running and self.timeout is not None) or self.streams:
            loop.call_later(self.period, self._sweep)
        else:
            self.swept = -1e18

    def add_stream(self, stream: SweptStream) -> None:
        """Watches an event stream whose calls run from now on: the sweep
        starts its pings (``stream.start_pinging(every)``, on ``stream.loop``) once
        ``stream.since`` is MCP_HTTP_SSE_KEEPALIVE seconds old. The caller
        removes it from ``streams`` when its calls are done."""
        self.streams.add(stream)
        if stream.since - self.swept > self.patience:
            self.start_sweeping()

    def expired(self, task: asyncio.Task[Any] | None) -> bool:
        """Whether ``task``'s cancellation came from its deadline; if so the
        mark is consumed and the cancellation undone, so the call can answer."""
        if task is None or task not in self.timed_out:
            return False
        self.timed_out.discard(task)
        if hasattr(task, "uncancel"):
            task.uncancel()
        return True

    def cancel(self, key: tuple[Any, str]) -> None:
        owner, request_id = key
        # A snapshot: calls on other threads' event loops may come and go meanwhile.
        found = [
            task
            for task, ctx in list(self.running.items())
            if ctx._client == owner and ctx._call is not None and ctx._call.id == request_id
        ]
        if len(found) == 1 and not found[0].done():
            task = found[0]
            self.cancelled.add(task)
            _on_loop(task.get_loop(), task.cancel)


def _on_loop(loop: asyncio.AbstractEventLoop, callback: Callable[[], Any]) -> None:
    """Runs ``callback`` now if ``loop`` is the running event loop, else soon
    in ``loop``'s own thread (a call served on another thread's loop)."""
    try:
        here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        here = None
    if loop is here:
        callback()
        return
    try:
        loop.call_soon_threadsafe(callback)
    except RuntimeError:
        pass  # that loop has closed


class MCPMount:
    """The ASGI application returned by :func:`mount_mcp_server`."""

    def __init__(
        self, django_http_app: ASGIApp, mcp_base_path: str, transport_type: str | Sequence[str], app: MCPApp
    ) -> None:
        transports = [transport_type] if isinstance(transport_type, str) else list(transport_type)
        unknown = [t for t in transports if t not in TRANSPORTS]
        if unknown or not transports:
            raise ValueError(
                f"transport_type {transport_type!r} is not supported; use one of {', '.join(TRANSPORTS)} (or a list of them)"
            )
        if "http" in transports and "http_stateless" in transports:
            raise ValueError(
                "transport_type lists both 'http' and 'http_stateless'; they share <base>/http, so pick one"
            )
        self.django_http_app = django_http_app
        self.mcp_base_path = mcp_base_path
        self.transports = transports
        self.app = app
        self.in_flight = InFlight()
        self.stateful = "http" in transports
        self._route: _core.Route | None = None
        self._metrics: Metrics | None = None
        self._store: SessionStore | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        #: Resources each session of this process subscribed to (resources/subscribe).
        self.session_uris: dict[str, set[str]] = {}
        self._build_route()  # fail at startup on a bad pattern, not at the first request
        on_reload(self._reset)

    def _reset(self) -> None:
        self._route = None
        self._store = None

    @property
    def store(self) -> SessionStore:
        """Where sessions live (MCP_SESSION_STORE), made on first use."""
        if self._store is None:
            self._store = make_store()
        return self._store

    def _active_sessions(self) -> int | None:
        """Live sessions, when this mount keeps them in-process (else unknown here)."""
        if not (self.stateful or "sse" in self.transports):
            return None
        store = self.store
        return len(store) if isinstance(store, MemoryStore) else None

    def spawn(self, work: Awaitable[Any]) -> None:
        """Runs ``work`` after the response is sent, keeping a reference and logging failures."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                logger.error("MCP background work failed", exc_info=t.exception())

        task.add_done_callback(done)

    def _build_route(self) -> _core.Route:
        endpoints: dict[str, str] = {}
        if "http" in self.transports or "http_stateless" in self.transports:
            endpoints[_MCP_ENDPOINT] = "mcp"
        if "sse" in self.transports:
            endpoints.update(_SSE_ENDPOINTS)
        if mcp_settings.MCP_HTTP_HEALTH_CHECK_ENABLED:
            endpoints.setdefault(mcp_settings.MCP_HTTP_HEALTH_CHECK_PATH, "health")
        if mcp_settings.MCP_HTTP_ENABLE_METRICS:
            endpoints.setdefault(mcp_settings.MCP_HTTP_METRICS_PATH, "metrics")
        self._endpoints = list(endpoints.values())
        # CORS, compression and metrics are read once here, not per request.
        self._cors = Cors.from_settings()
        self._compression = bool(mcp_settings.MCP_HTTP_ENABLE_COMPRESSION)
        if mcp_settings.MCP_HTTP_ENABLE_METRICS and self._metrics is None:
            self._metrics = Metrics()
        elif not mcp_settings.MCP_HTTP_ENABLE_METRICS:
            self._metrics = None
        self.gate = Gate(self.app)
        self._plain = self._cors is None and not self._compression and self._metrics is None
        # Only gzip is on: a client that does not take it needs no wrapper at all.
        self._compression_only = self._cors is None and self._compression and self._metrics is None
        #: The stateless endpoint serves without a send wrapper (see __call__).
        self._direct = not self.stateful and (self._plain or self._compression_only)
        #: Complete bodies of this size or more the endpoint encodes itself
        #: (gzip the only extra: no wrapper does it); none otherwise.
        self._encode_from = COMPRESSION_THRESHOLD if self._compression_only else sys.maxsize
        self._max_body = int(mcp_settings.MCP_HTTP_MAX_REQUEST_SIZE or 0)
        self.in_flight.configure(_timeout(), float(mcp_settings.MCP_HTTP_SSE_KEEPALIVE))
        self._route = _core.Route(self.mcp_base_path, list(endpoints))
        return self._route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route = self._route or self._build_route()
            path = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            if (
                path.startswith(WELL_KNOWN)
                and self.gate.active
                and await self._serve_metadata(scope, send, route, path[len(WELL_KNOWN) :])
            ):
                return
            found = route.match(path)
            if found is not None:
                endpoint, raw_params = found
                params = (
                    {name: _CONVERTERS.get(conv, str)(value) for name, conv, value in raw_params} if raw_params else {}
                )
                kind = self._endpoints[endpoint]
                if kind in ("mcp", "sse", "messages"):
                    if self.gate.active:
                        scope["mcp.endpoint"] = path
                        refused = await self.gate.admit(scope, path)
                        if refused is not None:
                            await _respond(send, refused.status, refused.headers, refused.body)
                            return
                    if kind == "mcp" and self._direct:
                        # The usual case, without a wrapper: the plain endpoint
                        # compresses its own large bodies (see _reply).
                        await self._serve_mcp(scope, receive, send, params)
                    elif self._plain or (self._compression_only and not accepts_compression(scope)):
                        # No CORS, metrics or compression for this request: no wrapper.
                        await self._handler(kind, path, params)(scope, receive, send)
                    else:
                        await self._serve_with_extras(scope, receive, send, self._handler(kind, path, params))
                elif kind == "health":
                    r = self.app.engine.health(scope["method"])
                    await _respond(send, r.status, r.headers, r.body)
                else:
                    assert self._metrics is not None
                    await _respond(
                        send,
                        200,
                        [(b"content-type", b"text/plain; version=0.0.4; charset=utf-8")],
                        self._metrics.render(self._active_sessions()),
                    )
                return
        await self.django_http_app(scope, receive, send)

    async def _serve_metadata(self, scope: Scope, send: Send, route: _core.Route, resource_path: str) -> bool:
        """RFC 9728 metadata for this mount's endpoint at ``resource_path`` (or,
        for a base path without parameters, at the bare well-known path)."""
        if resource_path in ("", "/") and not route.param_names:
            resource_path = self.mcp_base_path.rstrip("/") + _MCP_ENDPOINT
        found = route.match(resource_path)
        if found is None or self._endpoints[found[0]] not in ("mcp", "sse"):
            return False
        if scope["method"] not in ("GET", "HEAD"):
            await _respond(send, 405, [(b"allow", b"GET, HEAD")], b"")
            return True
        await _respond(send, *self.gate.metadata(scope, resource_path))
        return True

    def _may_hide(self, body: bytes) -> bool:
        """Whether this request's list results may need what the caller may not
        see left out (``app.hidden_for``): there are access rules, and the body
        can hold a list method (a method name is spelled out, or \\u-escaped).
        Checked before making that coroutine."""
        return self.app.has_access_rules and (b"list" in body or b"\\u" in body)

    def _handler(self, kind: str, path: str, params: dict[str, Any]) -> ASGIApp:
        """The function serving one MCP endpoint; ``base`` is the mount path as requested, parameters resolved."""
        if kind == "mcp":
            if self.stateful:
                base = path[: -len(_MCP_ENDPOINT)]
                return lambda scope, receive, send: self._serve_stateful(scope, receive, send, params, base)
            return lambda scope, receive, send: self._serve_mcp(scope, receive, send, params)
        if kind == "sse":
            base = path[: -len("/sse")]
            return lambda scope, receive, send: stateful.open_sse(self, scope, receive, send, base)
        base = path[: path.rindex("/messages")]
        return lambda scope, receive, send: self._serve_sse_post(scope, receive, send, params, base)

    async def _serve_with_extras(self, scope: Scope, receive: Receive, send: Send, serve: ASGIApp) -> None:
        """The MCP endpoint with CORS headers, gzip for complete bodies and metrics."""
        cors, metrics = self._cors, self._metrics
        origin = header(scope, b"origin") if cors is not None else None
        if cors is not None and scope["method"] == "OPTIONS":
            status, headers = cors.preflight(origin)
            await _respond(send, status, headers, b"")
            return
        extra_headers = cors.response_headers(origin) if cors is not None else []
        started = metrics.request_started() if metrics is not None else 0.0
        status = 0
        held: Message | None = None

        async def wrapped(message: Message) -> None:
            nonlocal status, held
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), *extra_headers]}
                if self._compression:
                    held = message  # wait for the body: only complete bodies are compressed
                    return
                await send(message)
                return
            if held is not None:
                start, held = held, None
                if not message.get("more_body", False):
                    headers, body = compress(scope, start["headers"], message.get("body", b""))
                    await send({**start, "headers": headers})
                    await send({**message, "body": body})
                    return
                await send(start)
            await send(message)

        try:
            await serve(scope, receive, wrapped)
        finally:
            if metrics is not None:
                metrics.request_finished(started, scope["method"], status)

    async def _body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The POST body (b"" for other methods); None when the request was
        answered already (too large) or the client left."""
        if scope["method"] != "POST":
            return b""
        limit = self._max_body
        if limit and _core.declares_more_than(scope["headers"], limit):
            # Refused on the declared size: not one byte of the body is read.
            await self._refuse_too_large(send)
            return None
        return await self._finish_body(receive, send, await receive())

    async def _finish_body(self, receive: Receive, send: Send, message: Message) -> bytes | None:
        """The body whose first ASGI message is ``message``: the rest read,
        the size limit applied."""
        if message["type"] != "http.request":
            return None  # http.disconnect: the client left
        body = message.get("body", b"")
        limit = self._max_body
        if not message.get("more_body", False):
            if limit and len(body) > limit:
                await self._refuse_too_large(send)
                return None
            return body  # the whole body came in one message, the usual case
        try:
            return await _read_body(receive, limit, body)
        except _BodyTooLarge:
            await self._refuse_too_large(send)
            return None

    def _refuse_too_large(self, send: Send) -> Awaitable[None]:
        return _respond(send, 413, [(b"content-type", b"application/json")], _too_large(self._max_body))

    async def _serve_stateful(
        self, scope: Scope, receive: Receive, send: Send, params: dict[str, Any], base: str
    ) -> None:
        body = await self._body(scope, receive, send)
        if body is not None:
            await stateful.serve_stateful(self, scope, receive, send, params, base, body)

    async def _serve_sse_post(
        self, scope: Scope, receive: Receive, send: Send, params: dict[str, Any], base: str
    ) -> None:
        if scope["method"] != "POST":
            await _respond(
                send, 405, [(b"allow", b"POST"), (b"content-type", b"application/json")], _METHOD_NOT_ALLOWED_POST
            )
            return
        body = await self._body(scope, receive, send)
        if body is not None:
            await stateful.post_sse_message(self, scope, receive, send, params, base, body)

    def _reply(self, scope: Scope, send: Send, status: int, headers: list[Any], body: bytes) -> Awaitable[None]:
        """A complete response of the stateless endpoint (await it). When
        compression is the only extra, no wrapper compresses for it: large
        bodies are encoded here. A plain function, so the hot path pays no
        extra coroutine for it."""
        if len(body) >= self._encode_from:
            headers, body = encode_body(scope, headers, body)
        return _respond(send, status, headers, body)

    async def _serve_mcp(self, scope: Scope, receive: Receive, send: Send, params: dict[str, Any]) -> None:
        # _body, inline for the usual POST whose body fits in one message.
        body = b""
        if scope["method"] == "POST":
            limit = self._max_body
            if limit and _core.declares_more_than(scope["headers"], limit):
                await self._refuse_too_large(send)  # not one byte of the body is read
                return
            message = await receive()
            body = message.get("body", b"")
            if message.get("more_body", False) or message["type"] != "http.request" or (limit and len(body) > limit):
                body = await self._finish_body(receive, send, message)
                if body is None:
                    return
        app = self.app
        hidden = await app.hidden_for(scope, params) if app.has_access_rules and self._may_hide(body) else []
        plan = (app._engine or app.engine).handle(scope["method"], scope["headers"], body, hidden)
        if type(plan) is _core.Response:
            await self._reply(scope, send, plan.status, plan.headers, plan.body)
            return
        call = plan.single
        if call is not None and not app.has_access_rules:
            # One request answered by its own message: nothing to settle or join.
            client = caller(scope)
            if plan.stream:
                await self._stream(plan, scope, receive, send, params, client)
                return
            message = await self._run(call, scope, params, client, None)
            if len(message) >= self._encode_from:
                await self._reply(scope, send, plan.status_for(message), plan.headers, message)
                return
            await send(plan.response_start(message))  # status, headers, content-length
            await send({"type": "http.response.body", "body": message})
            return
        await self._serve_plan(plan, scope, receive, send, params)

    def settle(self, plan: _core.Plan, owner: Any) -> None:
        """Applies what a POST says about earlier requests: cancellations of the
        owner's (session or caller) calls, and the client's answers to ours."""
        for request_id in plan.cancels:
            self.in_flight.cancel((owner, request_id))
        for request_id, is_error, raw in plan.replies:
            if not self.app.outbound.resolve(request_id, is_error, raw):
                logger.info("Ignored a client response to unknown request id %s", request_id)

    def refused_calls(self, plan: _core.Plan, scope: Scope) -> _core.Response | None:
        """401 / 403 for planned calls the caller may not make (see Gate.check_calls)."""
        if not self.app.has_access_rules or not plan.calls:
            return None
        return self.gate.check_calls(plan, scope, scope.get("mcp.endpoint", ""))

    async def _serve_plan(
        self, plan: _core.Plan, scope: Scope, receive: Receive, send: Send, params: dict[str, Any]
    ) -> None:
        refused = self.refused_calls(plan, scope)
        if refused is not None:
            await _respond(send, refused.status, refused.headers, refused.body)
            return
        client = caller(scope)
        self.settle(plan, client)
        if not plan.has_responses:
            await _respond(send, 202, [], b"")
            return
        if plan.calls and plan.calls[0].kind == "listen":
            await self._listen(plan, plan.calls[0], receive, send)
        elif plan.stream:
            await self._stream(plan, scope, receive, send, params, client)
        else:
            messages = [await self._run(call, scope, params, client, None) for call in plan.calls]
            status = plan.status_for(messages[0]) if len(messages) == 1 else 200
            await self._reply(scope, send, status, plan.headers, plan.finish(messages))

    async def _stream(
        self, plan: _core.Plan, scope: Scope, receive: Receive, send: Send, params: dict[str, Any], client: Any
    ) -> None:
        stream = _EventStream(send, plan)
        in_flight = self.in_flight
        in_flight.add_stream(stream)  # pinged if silent for MCP_HTTP_SSE_KEEPALIVE
        try:
            #: Answers of the calls that finished before the stream opened.
            finals: list[bytes] = []
            for call in plan.calls:
                if not call.server_requests:
                    # 2026-07-28: a client cancels by closing the response
                    # stream. A call still running at the sweep's next pass
                    # gets a watcher for that; a quick one costs nothing.
                    stream.watch(receive)
                stream.running = True
                try:
                    message = await self._run(call, scope, params, client, stream.emit)
                except asyncio.CancelledError:
                    if not stream.gone:
                        raise
                    message = b""
                finally:
                    stream.running = False
                if stream.gone:
                    task = stream.task
                    if task is not None and hasattr(task, "uncancel") and task.cancelling():
                        task.uncancel()
                    logger.info("MCP request %s was cancelled: the client closed the stream", call.id)
                    return
                if not stream.started:
                    finals.append(message)
                    continue
                # Open (a notification or a keepalive opened it): earlier answers first.
                for earlier in finals:
                    if earlier:
                        await stream.emit(earlier)
                finals.clear()
                if message:  # empty: cancelled, nothing to send
                    await stream.emit(message)
            if stream.started:
                await send({"type": "http.response.body", "body": b""})
            else:
                # Never opened: one complete body, the ready answers first.
                start, body = plan.complete_stream(finals)
                if len(body) >= self._encode_from:
                    await self._reply(scope, send, 200, plan.complete_headers, body)
                else:
                    await send(start)
                    await send({"type": "http.response.body", "body": body})
        finally:
            in_flight.streams.discard(stream)
            stream.close()

    async def _listen(self, plan: _core.Plan, call: _core.Call, receive: Receive, send: Send) -> None:
        """subscriptions/listen: acknowledge, then forward change notifications until the client leaves."""
        if not plan.stream:
            error = call.error(
                -32600,
                "Invalid Request: subscriptions/listen needs an event-stream response (Accept: text/event-stream)",
            )
            await _respond(send, 400, [(b"content-type", b"application/json")], error)
            return
        requested = (json.loads(call.arguments).get("notifications") or {}) if call.arguments else {}
        accepted = honored(requested if isinstance(requested, dict) else {})
        subscription = {"io.modelcontextprotocol/subscriptionId": json.loads(call.id)}
        await send({"type": "http.response.start", "status": 200, "headers": plan.headers})

        async def notify(method: str, params: dict[str, Any]) -> None:
            message = _core.notification(method, to_json({**params, "_meta": subscription}))
            await send({"type": "http.response.body", "body": _core.sse_event(message), "more_body": True})

        listener = self.app.subscriptions.open(accepted)
        try:
            await notify("notifications/subscriptions/acknowledged", {"notifications": accepted})

            async def forward() -> None:
                while True:
                    try:
                        method, params = await asyncio.wait_for(
                            listener.queue.get(), float(mcp_settings.MCP_HTTP_SSE_KEEPALIVE)
                        )
                    except asyncio.TimeoutError:
                        # A comment line keeps proxies from closing an idle stream.
                        await send({"type": "http.response.body", "body": b": keepalive\n\n", "more_body": True})
                        continue
                    await notify(method, params)

            await _until_disconnect(receive, forward())
        finally:
            self.app.subscriptions.close(listener)

    async def _run(
        self, call: _core.Call, scope: Scope, params: dict[str, Any], client: Any, emit: Any, close_stream: Any = None
    ) -> bytes:
        if call.kind in ("subscribe", "unsubscribe"):
            # Only planned inside a session: ``client`` is the session id.
            uris = self.session_uris.setdefault(client, set())
            (uris.add if call.kind == "subscribe" else uris.discard)(call.target)
            return call.result(b"{}", "complete")
        input_round = None
        if call.resumes:
            # A retry with the client's answers: checked before the call runs.
            # Other calls of this revision get their round when they first ask.
            try:
                input_round = InputRound.of(call)
            except InvalidRequestState as e:
                return call.error(_core.INVALID_PARAMS, f"Invalid params: {e}")
        ctx = Context(self.app, params, scope, call, emit, input_round, close_stream)
        ctx._client = client
        in_flight = self.in_flight
        task = _current_task()
        if task is not None:
            # Registered for notifications/cancelled and for the deadline sweep.
            in_flight.running[task] = ctx
            ctx._watch = in_flight
            if in_flight.timeout is not None:
                now = _monotonic()
                ctx._deadline = now + in_flight.timeout
                if now - in_flight.swept > in_flight.patience:
                    in_flight.start_sweeping()
        try:
            message = await self.app.call(call, ctx)
            if self._metrics is not None:
                self._metrics.call_finished(call.kind, call.target, message)
            return message
        except asyncio.CancelledError:
            if in_flight.expired(task):
                # Past its deadline outside the user function (an access check, a completion handler).
                logger.warning("MCP request %s timed out", call.id)
                return call.error(
                    _core.INTERNAL_ERROR, f"Request timed out after {mcp_settings.MCP_HTTP_REQUEST_TIMEOUT} seconds"
                )
            if task is None or task not in in_flight.cancelled:
                raise
            in_flight.cancelled.discard(task)
            if hasattr(task, "uncancel"):
                task.uncancel()
            logger.info("MCP request %s was cancelled by the client", call.id)
            # A cancelled request gets no response on a stream; a JSON body still needs one.
            return b"" if emit is not None else call.error(_core.REQUEST_CANCELLED, "Request cancelled")
        finally:
            if task is not None:
                del in_flight.running[task]
                if in_flight.timed_out or in_flight.cancelled:
                    # A call that swallowed its cancellation leaves no mark behind.
                    in_flight.timed_out.discard(task)
                    in_flight.cancelled.discard(task)


class _EventStream(SweptStream):
    """One POST's text/event-stream answer. It starts with the first
    notification; calls that send none are answered with one complete body
    (two ASGI sends, no chunking). A call silent for MCP_HTTP_SSE_KEEPALIVE
    seconds gets the stream opened and pinged, so proxies with idle timeouts
    keep the connection."""

    __slots__ = ("gone", "plan", "running", "send", "started", "task")

    def __init__(self, send: Send, plan: _core.Plan) -> None:
        super().__init__()
        self.send = send
        self.plan = plan
        self.started = False
        #: 2026-07-28 calls: the request's task, which the watcher cancels
        #: when the client closes the stream. The sweep starts the watcher for
        #: a call still running, so quick calls pay no task.
        self.task: asyncio.Task[Any] | None = None
        #: A call is being awaited (the watcher may cancel it).
        self.running = False
        #: The client closed the stream.
        self.gone = False

    def watch(self, receive: Receive) -> None:
        if self.receive is None:
            self.receive = receive
            self.task = _current_task()

    def start_watching(self) -> None:
        if self.watcher is None and self.loop is not None and self.receive is not None:
            self.watcher = asyncio.ensure_future(self._watch(self.receive))

    async def _watch(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self.gone = True
        if self.running and self.task is not None:
            self.task.cancel()

    async def _start(self) -> None:
        self.started = True
        await self.send({"type": "http.response.start", "status": 200, "headers": self.plan.headers})
        ready = self.plan.ready_events()
        if ready:
            await self.send({"type": "http.response.body", "body": ready, "more_body": True})

    async def emit(self, message: bytes) -> None:
        """Sends one message as an event, opening the stream first if need be."""
        if not self.started:
            await self._start()
        await self.send({"type": "http.response.body", "body": _core.sse_event(message), "more_body": True})

    async def _ping(self) -> bool:
        if not self.started:
            await self._start()
        await self.send({"type": "http.response.body", "body": b": keepalive\n\n", "more_body": True})
        return True


_METHOD_NOT_ALLOWED_POST = (
    b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Method Not Allowed: this endpoint accepts POST"}}'
)


def _too_large(limit: int) -> bytes:
    return (
        b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Payload Too Large: the request body exceeds '
        + str(limit).encode()
        + b' bytes (MCP_HTTP_MAX_REQUEST_SIZE)"}}'
    )


def mount_mcp_server(
    django_http_app: ASGIApp,
    mcp_base_path: str = "/mcp",
    transport_type: str | Sequence[str] = "http_stateless",
    *,
    mcp_app: MCPApp | None = None,
) -> MCPMount:
    """Wraps ``django_http_app`` so that MCP is served below ``mcp_base_path``.

    ``mcp_base_path`` may hold Django path converters (``/mcp/<slug:user_uuid>``);
    their values reach tools as ``ctx.path_params``. ``<base>/http`` is the MCP
    endpoint and ``<base>/health`` the health check.
    """
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    if apps.ready and not apps.is_installed("django_mcp"):
        raise ImproperlyConfigured(
            "mount_mcp_server() needs 'django_mcp' in INSTALLED_APPS (it loads your apps' mcp.py modules and settings)"
        )
    mount = MCPMount(django_http_app, mcp_base_path, transport_type, mcp_app or default_app)
    _freeze_started_heap()
    return mount
