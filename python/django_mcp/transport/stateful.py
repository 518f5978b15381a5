"""The transports that keep sessions, for handshake-era clients:

* stateful Streamable HTTP (``transport_type='http'``): ``Mcp-Session-Id`` from
  initialize on, a GET stream for the server's own messages, DELETE to end a
  session, and resumable POST streams (every event has an id; a client that
  lost the stream reconnects with ``Last-Event-ID`` and gets what it missed);
* the HTTP+SSE transport of 2024-11-05 (``transport_type='sse'``): GET
  ``<base>/sse`` holds the stream, POST ``<base>/messages/?session_id=...``
  answers 202 and its response flows on that stream.

The engine decides every status and header; this module moves bytes between
the ASGI server, the session store and the user's functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from pydantic_core import to_json

from .. import _core
from ..auth.gate import principal
from ..conf import mcp_settings
from ..runtime.subscriptions import LIST_CHANGED, RESUBSCRIBED
from .io import Request, Send, respond
from .sessions import END, SESSION_STREAM, SessionRecord, StoreUnavailable, new_stream
from .stateless import answer
from .streams import SweptStream
from .streams import until_disconnect as _until_disconnect

if TYPE_CHECKING:
    from .services import Services

logger = logging.getLogger("django_mcp")

_SEED_BYTES = 18


async def unavailable(send: Send, error: StoreUnavailable) -> None:
    logger.error("MCP session store unavailable: %s", error)
    body = (
        b'{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"Service Unavailable: '
        b'the MCP session store cannot be reached; retry shortly"}}'
    )
    await respond(send, 503, [(b"content-type", b"application/json"), (b"retry-after", b"1")], body)


def _bound_to(record: SessionRecord | None, session_id: str, owner: str, transport: str) -> SessionRecord | None:
    """The session, if it is ``owner``'s and was opened on ``transport``; else
    None, so the request is answered as for an unknown session (404) and a
    session id in the wrong hands grants nothing."""
    if record is not None and record.refuses(owner, transport):
        logger.warning(
            "MCP session %s... refused: the request comes from another caller or transport than opened it",
            session_id[:8],
        )
        return None
    return record


class Detachable(SweptStream):
    """An event stream whose events are also stored, so the client can resume
    it; the server may end the HTTP response early (``ctx.close_sse_stream()``)
    and keep storing what follows. Its keepalives come from the mount's sweep;
    a disconnect is not watched for (``receive`` stays None): the stream
    outlives its connection."""

    def __init__(self, services: Services, send: Send, session_id: str, headers: list[Any]) -> None:
        super().__init__()
        self.services = services
        self.send = send
        self.session_id = session_id
        self.stream = new_stream()
        self.headers = headers
        self.detached = False

    async def open(self) -> None:
        await self.send({"type": "http.response.start", "status": 200, "headers": self.headers})
        priming = _core.sse_priming(_core.event_id(self.stream, "0"), int(mcp_settings.MCP_HTTP_SSE_RETRY_MS))
        await self.send({"type": "http.response.body", "body": priming, "more_body": True})

    async def emit(self, message: bytes) -> None:
        position = await self.services.store.append(self.session_id, self.stream, message)
        if not self.detached:
            event = _core.sse_event(message, _core.event_id(self.stream, position))
            await self.send({"type": "http.response.body", "body": event, "more_body": True})

    async def detach(self) -> None:
        if not self.detached:
            self.detached = True
            await self.send({"type": "http.response.body", "body": b""})

    async def finish(self) -> None:
        await self.services.store.append(self.session_id, self.stream, END)
        await self.detach()

    async def _ping(self) -> bool:
        if self.detached:
            return False
        await self.send({"type": "http.response.body", "body": b": keepalive\n\n", "more_body": True})
        return True


class Stateful:
    """The MCP endpoint ``<base>/http`` with sessions."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def serve(self, request: Request) -> None:
        """Reads the body, finds the session (or opens one), asks the engine
        for a plan and answers it. One coroutine: each level between the
        request and its calls is paid on every request (CONTRIBUTING.md)."""
        services = self.services
        body = await services.read_body(request)
        if body is None:
            return  # answered already (too large), or the client left
        store = services.store
        scope, send = request.scope, request.send
        method = scope["method"]
        session_id = request.header(b"mcp-session-id")
        record: SessionRecord | None = None
        owner = principal(scope)
        try:
            if session_id is not None:
                record = _bound_to(await store.get(session_id), session_id, owner, "http")
            hidden = await services.hidden(request, body) if services.app.has_access_rules else []
            outcome, created = services.app.engine.handle_stateful(
                method,
                scope["headers"],
                body,
                (record.version, record.path) if record else None,
                request.base,
                os.urandom(_SEED_BYTES),
                hidden,
            )
            if created is not None:
                new_id, version = created
                await store.create(new_id, SessionRecord(version, request.base, owner, "http"))
                services.session_opened()
                logger.info("MCP session %s opened (protocol %s)", new_id[:8], version)
        except StoreUnavailable as e:
            await unavailable(send, e)
            return
        if isinstance(outcome, _core.Response):
            if outcome.status == 200 and method == "GET":
                assert session_id is not None
                await _get_stream(services, request, session_id, outcome.headers)
                return
            if outcome.status == 200 and method == "DELETE":
                assert session_id is not None
                try:
                    await store.delete(session_id)
                except StoreUnavailable as e:
                    await unavailable(send, e)
                    return
                services.session_uris.pop(session_id, None)
                logger.info("MCP session %s ended by the client", session_id[:8])
            await services.write(request, outcome.status, outcome.headers, outcome.body)
            return
        plan = outcome
        if plan.stateless:
            # Stateless requests on the same endpoint: served as by the stateless transport.
            answering = answer(services, request, plan)
            if answering is not None:
                await answering
                return
            await services.write(request, *plan.json_answer(await services.calls.run_all(plan, request, None)))
            return
        sid = created[0] if created is not None else session_id
        assert sid is not None
        refused = services.calls.admit(plan, request, sid)
        if refused is not None:
            await respond(send, refused.status, refused.headers, refused.body)
            return
        if not plan.has_responses:
            await respond(send, 202, [], b"")
            return
        if not plan.stream:
            await services.write(request, *plan.json_answer(await services.calls.run_all(plan, request, sid)))
            return
        stream = Detachable(services, send, sid, plan.headers)
        #: Request ids whose answer is not stored yet.
        pending = [call.id for call in plan.calls]
        leasing = (
            asyncio.ensure_future(_keep_lease(store, sid, stream.stream, pending)) if store.shares_events else None
        )
        try:
            await stream.open()
            # Answers that needed no user code (an empty message for each call leaves only them).
            for message in plan.messages([b""] * len(plan.calls)):
                await stream.emit(message)
            services.in_flight.add_stream(stream)  # pinged if quiet for MCP_HTTP_SSE_KEEPALIVE
            try:
                for call in plan.calls:
                    message = await services.calls.run(call, request, sid, stream.emit, stream.detach)
                    if message:
                        await stream.emit(message)
                    pending.remove(call.id)
            finally:
                services.in_flight.streams.discard(stream)
                stream.close()
            await stream.finish()
        except StoreUnavailable as e:
            logger.error("MCP session store unavailable while streaming: %s", e)
            # The client still connected hears of its unanswered calls rather than silence.
            if not stream.detached:
                for request_id in pending:
                    event = _core.sse_event(lost_call(request_id, "the session store became unreachable"))
                    await send({"type": "http.response.body", "body": event, "more_body": True})
            await stream.detach()
        finally:
            if leasing is not None:
                leasing.cancel()


def lost_call(request_id: str, why: str) -> bytes:
    """The answer to a call whose outcome will never come. ``request_id`` is
    raw JSON, as the engine read it (a string or an integer)."""
    error = {"code": _core.INTERNAL_ERROR, "message": f"The call was lost: {why}; send it again"}
    return b'{"jsonrpc":"2.0","id":' + request_id.encode() + b',"error":' + to_json(error) + b"}"


async def _keep_lease(store: Any, session_id: str, stream: str, pending: list[str]) -> None:
    """Renews the lease on a stream whose calls this process runs, until
    cancelled, so that a client resuming it on another process can tell a
    long call from a dead process (MCP_HTTP_LOST_CALL_TIMEOUT)."""
    lost_after = float(mcp_settings.MCP_HTTP_LOST_CALL_TIMEOUT)
    every = min(lost_after / 3, float(mcp_settings.MCP_HTTP_SSE_KEEPALIVE))
    while True:
        try:
            await store.lease(session_id, stream, list(pending), time.time() + lost_after)
        except StoreUnavailable as e:
            logger.warning("Could not renew the lease of a stream of MCP session %s: %s", session_id[:8], e)
        await asyncio.sleep(every)


async def _lost_calls(store: Any, session_id: str, stream: str) -> list[bytes]:
    """Errors for the unanswered calls of a stream whose process stopped
    renewing its lease; [] while it lives (or the store keeps no leases)."""
    if not store.shares_events or stream == SESSION_STREAM:
        return []
    lease = await store.leased(session_id, stream)
    if lease is None:
        return []
    pending, until = lease
    if time.time() < until:
        return []
    logger.warning("MCP session %s: a stream's calls were lost with the process running them", session_id[:8])
    return [lost_call(request_id, "the process running it stopped") for request_id in pending]


async def _get_stream(services: Services, request: Request, session_id: str, headers: list[Any]) -> None:
    """GET: the session's own stream, or with Last-Event-ID the rest of the
    stream that event belongs to."""
    send = request.send
    last = request.header(b"last-event-id")
    store = services.store
    try:
        if last is not None:
            parsed = _core.parse_event_id(last)
            assert parsed is not None  # the engine refused malformed ids
            stream, position = parsed
        else:
            stream, position = SESSION_STREAM, await store.tail(session_id, SESSION_STREAM)
    except StoreUnavailable as e:
        await unavailable(send, e)
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if stream == SESSION_STREAM:
        priming = _core.sse_priming(_core.event_id(stream, position), int(mcp_settings.MCP_HTTP_SSE_RETRY_MS))
        await send({"type": "http.response.body", "body": priming, "more_body": True})
    relay = _relay(services, send, session_id, stream, position, framed=True)
    if stream == SESSION_STREAM:
        relay = _with_notifications(services, send, session_id, relay)
    await _until_disconnect(request.receive, relay)
    await send({"type": "http.response.body", "body": b""})


async def _with_notifications(services: Services, send: Send, session_id: str, relay: Awaitable[None]) -> None:
    """The session stream also carries the list changes of every process and
    the updates of resources the session subscribed to, until ``relay`` ends."""
    subscriptions = services.app.subscriptions
    await subscriptions.connect()
    listener = subscriptions.open({flag: True for flag in LIST_CHANGED}, session_id)
    uris = listener.uris = services.session_uris.setdefault(session_id, set())  # live view
    store = services.store

    async def reload() -> None:
        """The session's subscriptions as the store has them, made in any process."""
        try:
            stored = await store.subscribed(session_id)
        except StoreUnavailable as e:
            logger.error("MCP session store unavailable; kept the session's subscriptions as they were: %s", e)
            return
        if stored is not None:
            uris.clear()
            uris.update(stored)

    async def forward() -> None:
        await reload()  # after opening the listener, so that no change is missed
        while True:
            method, params = await listener.queue.get()
            if method == RESUBSCRIBED:
                await reload()
                continue
            message = _core.notification(method, to_json(params))
            await send({"type": "http.response.body", "body": _core.sse_event(message), "more_body": True})

    relaying, forwarding = asyncio.ensure_future(relay), asyncio.ensure_future(forward())
    try:
        await asyncio.wait({relaying, forwarding}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        subscriptions.close(listener)
        for task in (relaying, forwarding):
            task.cancel()
        await asyncio.gather(relaying, forwarding, return_exceptions=True)


async def _relay(services: Services, send: Send, session_id: str, stream: str, position: str, *, framed: bool) -> None:
    """Sends the stream's events after ``position`` until it ends, the session
    goes away or the store fails; keepalive comments while it is quiet."""
    store = services.store
    keepalive = float(mcp_settings.MCP_HTTP_SSE_KEEPALIVE)
    while True:
        try:
            events = await store.read(session_id, stream, position, keepalive)
        except StoreUnavailable as e:
            logger.error("MCP session store unavailable while streaming: %s", e)
            return
        if not events:
            try:
                alive = await store.get(session_id)
                lost = await _lost_calls(store, session_id, stream) if alive is not None else []
                if lost:
                    # Stored, so that every client resuming the stream gets the same answers.
                    events = [(await store.append(session_id, stream, message), message) for message in lost]
                    events.append(("", END))
                    await store.append(session_id, stream, END)
            except StoreUnavailable as e:
                logger.error("MCP session store unavailable while streaming: %s", e)
                return
            if alive is None:
                return
            if not events:
                await send({"type": "http.response.body", "body": b": keepalive\n\n", "more_body": True})
                continue
        for position, message in events:
            if message == END:
                return
            event_id = _core.event_id(stream, position) if framed else None
            await send({"type": "http.response.body", "body": _core.sse_event(message, event_id), "more_body": True})


# The HTTP+SSE transport (2024-11-05).


async def open_sse(services: Services, request: Request) -> None:
    """GET <base>/sse: a new session, announced by an ``endpoint`` event, whose
    messages flow on this stream until the client goes away."""
    scope, send = request.scope, request.send
    response, session_id = services.app.engine.open_sse(scope["headers"], os.urandom(_SEED_BYTES))
    if session_id is None:
        await services.write(request, response.status, response.headers, response.body)
        return
    store = services.store
    try:
        await store.create(session_id, SessionRecord("2024-11-05", request.base, principal(scope), "sse"))
        services.session_opened()
        position = await store.tail(session_id, SESSION_STREAM)
    except StoreUnavailable as e:
        await unavailable(send, e)
        return
    endpoint = f"{scope.get('root_path', '')}{request.base}/messages/?session_id={session_id}"
    await send({"type": "http.response.start", "status": 200, "headers": response.headers})
    await send({"type": "http.response.body", "body": _core.sse_named("endpoint", endpoint), "more_body": True})
    logger.info("MCP SSE session %s opened", session_id[:8])
    try:
        relay = _relay(services, send, session_id, SESSION_STREAM, position, framed=False)
        await _until_disconnect(request.receive, _with_notifications(services, send, session_id, relay))
    finally:
        services.session_uris.pop(session_id, None)
        with contextlib.suppress(StoreUnavailable):  # it expires on its own
            await store.delete(session_id)
        logger.info("MCP SSE session %s closed", session_id[:8])
    await send({"type": "http.response.body", "body": b""})


class SSEStream:
    """GET ``<base>/sse`` of the HTTP+SSE transport."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def serve(self, request: Request) -> Awaitable[None]:
        return open_sse(self.services, request)


class SSEMessages:
    """POST ``<base>/messages/`` of the HTTP+SSE transport."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def serve(self, request: Request) -> None:
        if request.scope["method"] != "POST":
            headers = [(b"allow", b"POST"), (b"content-type", b"application/json")]
            await respond(request.send, 405, headers, _METHOD_NOT_ALLOWED_POST)
            return
        body = await self.services.read_body(request)
        if body is not None:
            await post_sse_message(self.services, request, body)


_METHOD_NOT_ALLOWED_POST = (
    b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Method Not Allowed: this endpoint accepts POST"}}'
)


async def post_sse_message(services: Services, request: Request, body: bytes) -> None:
    """POST <base>/messages/?session_id=...: 202, and the answers go to the session's stream."""
    scope, send = request.scope, request.send
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    session_id = (query.get("session_id") or [None])[0]
    store = services.store
    try:
        record = _bound_to(await store.get(session_id), session_id, principal(scope), "sse") if session_id else None
    except StoreUnavailable as e:
        await unavailable(send, e)
        return
    hidden = await services.hidden(request, body) if services.app.has_access_rules else []
    outcome, negotiated = services.app.engine.handle_sse_post(
        scope["headers"], body, session_id, (record.version, record.path) if record else None, request.base, hidden
    )
    if isinstance(outcome, _core.Response):
        if outcome.status >= 400:
            await services.write(request, outcome.status, outcome.headers, outcome.body)
            return
        messages = [outcome.body] if outcome.body else []
        plan = None
    else:
        plan = outcome
        messages = []
        refused = services.calls.refused(plan, request)
        if refused is not None:
            await respond(send, refused.status, refused.headers, refused.body)
            return
    assert session_id is not None and record is not None
    if negotiated is not None and negotiated != record.version:
        try:
            await store.update(session_id, dataclasses.replace(record, version=negotiated))
        except StoreUnavailable as e:
            await unavailable(send, e)
            return
    await respond(send, 202, [(b"content-type", b"text/plain; charset=utf-8")], b"Accepted")
    if plan is None:
        for message in messages:
            await _publish(services, session_id, message)
        return
    # The POST is answered; the work goes on and its messages reach the stream.
    services.spawn(_run_sse_plan(services, plan, request, session_id))


async def _publish(services: Services, session_id: str, message: bytes) -> None:
    try:
        await services.store.append(session_id, SESSION_STREAM, message)
    except StoreUnavailable as e:
        logger.error("MCP session store unavailable; a message for session %s was lost: %s", session_id[:8], e)


async def _run_sse_plan(services: Services, plan: _core.Plan, request: Request, session_id: str) -> None:
    services.calls.settle(plan, session_id)

    async def emit(message: bytes) -> None:
        await _publish(services, session_id, message)

    results = [await services.calls.run(call, request, session_id, emit) for call in plan.calls]
    for message in plan.messages(results):
        await _publish(services, session_id, message)
