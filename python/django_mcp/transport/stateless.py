"""Streamable HTTP without sessions (``transport_type='http_stateless'``):
every POST carries all it needs, and its answer is one JSON body or one event
stream. The stateful transport serves 2026-07-28 requests this way too."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Hashable
from typing import TYPE_CHECKING, Any

from pydantic_core import to_json

from .. import _core
from ..conf import mcp_settings
from ..runtime.subscriptions import honored
from .io import Receive, Request, Send, respond
from .streams import SweptStream, until_disconnect

if TYPE_CHECKING:
    from .services import Services

logger = logging.getLogger("django_mcp")


class Stateless:
    """The MCP endpoint ``<base>/http`` without sessions."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def serve(self, request: Request) -> None:
        """Reads the body, asks the engine for a plan, and answers it: with
        the answer ``answer`` picks, or else one JSON body whose calls run
        here, one level below the request (CONTRIBUTING.md)."""
        services = self.services
        body = await services.read_body(request)
        if body is None:
            return  # answered already (too large), or the client left
        app = services.app
        hidden = await services.hidden(request, body) if app.has_access_rules else ()
        outcome = app.engine.handle(request.scope["method"], request.scope["headers"], body, hidden)
        if type(outcome) is _core.Response:
            await services.write(request, outcome.status, outcome.headers, outcome.body)
            return
        plan = outcome
        answering = answer(services, request, plan)
        if answering is not None:
            await answering
            return
        # Calls.run_all's loop, here so that the calls run one level below the request.
        messages = []
        for call in plan.calls:  # a loop, not an async comprehension: one coroutine fewer per request
            messages.append(await services.calls.run(call, request, None, None))
        await services.write(request, *plan.json_answer(messages))


def answer(services: Services, request: Request, plan: _core.Plan) -> Awaitable[None] | None:
    """How the plan is answered (await it) when that is not one JSON body
    (None): a refusal, 202 when nothing needs an answer, a subscription's
    stream or an event stream. A function that picks the coroutine, not one
    itself: the request awaits one layer."""
    refused = services.calls.admit(plan, request)
    if refused is not None:
        return respond(request.send, refused.status, refused.headers, refused.body)
    if not plan.has_responses:
        return respond(request.send, 202, [], b"")
    calls = plan.calls
    if calls and calls[0].kind == "listen":
        return listen(services, request, plan, calls[0])
    if plan.stream:
        return stream(services, request, plan)
    return None


async def stream(services: Services, request: Request, plan: _core.Plan, owner: Hashable | None = None) -> None:
    """The answer as an event stream, opened by the first notification (or
    keepalive); calls that send none are answered with one complete body."""
    events = EventStream(request.send, plan)
    in_flight = services.in_flight
    in_flight.add_stream(events)  # pinged if silent for MCP_HTTP_SSE_KEEPALIVE
    try:
        #: Answers of the calls that finished before the stream opened.
        finals: list[bytes] = []
        for call in plan.calls:
            if not call.server_requests:
                # 2026-07-28: a client cancels by closing the response
                # stream. A call still running at the sweep's next pass
                # gets a watcher for that; a quick one costs nothing.
                events.watch(request.receive)
            events.running = True
            try:
                message = await services.calls.run(call, request, owner, events.emit)
            except asyncio.CancelledError:
                if not events.gone:
                    raise
                message = b""
            finally:
                events.running = False
            if events.gone:
                task = events.task
                if task is not None and sys.version_info >= (3, 11) and task.cancelling():
                    task.uncancel()
                logger.info("MCP request %s was cancelled: the client closed the stream", call.id)
                return
            if not events.started:
                finals.append(message)
                continue
            # Open (a notification or a keepalive opened it): earlier answers first.
            for earlier in finals:
                if earlier:
                    await events.emit(earlier)
            finals.clear()
            if message:  # empty: cancelled, nothing to send
                await events.emit(message)
        if events.started:
            await request.send({"type": "http.response.body", "body": b""})
        else:
            # Never opened: one complete body, the ready answers first (or
            # a lone error with its own HTTP status, as JSON: a rate-limited
            # call; 2026-07-28's -32021 found while the call ran).
            status, headers, body = plan.complete_stream(finals)
            await services.write(request, status, headers, body)
    finally:
        in_flight.streams.discard(events)
        events.close()


async def listen(services: Services, request: Request, plan: _core.Plan, call: _core.Call) -> None:
    """subscriptions/listen: acknowledge, then forward change notifications until the client leaves."""
    send = request.send
    if not plan.stream:
        error = call.error(
            -32600,
            "Invalid Request: subscriptions/listen needs an event-stream response (Accept: text/event-stream)",
        )
        await respond(send, 400, [(b"content-type", b"application/json")], error)
        return
    requested = (json.loads(call.arguments).get("notifications") or {}) if call.arguments else {}
    accepted = honored(requested if isinstance(requested, dict) else {})
    subscription = {"io.modelcontextprotocol/subscriptionId": json.loads(call.id)}
    await send({"type": "http.response.start", "status": 200, "headers": plan.headers})

    async def notify(method: str, params: dict[str, Any]) -> None:
        message = _core.notification(method, to_json({**params, "_meta": subscription}))
        await send({"type": "http.response.body", "body": _core.sse_event(message), "more_body": True})

    subscriptions = services.app.subscriptions
    await subscriptions.connect()
    listener = subscriptions.open(accepted)
    try:
        await notify("notifications/subscriptions/acknowledged", {"notifications": accepted})

        async def forward() -> None:
            keepalive = float(mcp_settings.MCP_HTTP_SSE_KEEPALIVE)
            while True:
                try:
                    method, params = await asyncio.wait_for(listener.queue.get(), keepalive)
                except asyncio.TimeoutError:
                    # A comment line keeps proxies from closing an idle stream.
                    await send({"type": "http.response.body", "body": b": keepalive\n\n", "more_body": True})
                    continue
                await notify(method, params)

        await until_disconnect(request.receive, forward())
    finally:
        subscriptions.close(listener)


class EventStream(SweptStream):
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
            self.task = asyncio.current_task()

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
