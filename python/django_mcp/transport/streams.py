"""Event streams: the keepalive and disconnect watching every transport's
streams share, and the stateless transport's answer stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from time import monotonic
from typing import TYPE_CHECKING, Any

from .. import _core

if TYPE_CHECKING:
    from .io import Send

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


class SweptStream:
    """An event stream looked after by its mount's sweep (``in_flight.InFlight``),
    not by a timer or task of its own: the sweep starts its keepalive pings
    once it has been open MCP_HTTP_SSE_KEEPALIVE seconds (``since``), and, if
    ``receive`` is set, a watcher for the client closing it
    (``start_watching``). Both run on ``loop``, which is None once closed.
    Subclasses say what one ping sends (``_ping``)."""

    __slots__ = ("loop", "pinger", "receive", "since", "watcher")

    def __init__(self) -> None:
        self.since = monotonic()
        self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        self.pinger: asyncio.Task[None] | None = None
        #: The request's receive, for streams whose closing cancels the call.
        self.receive: Receive | None = None
        self.watcher: asyncio.Task[None] | None = None

    def start_pinging(self, every: float) -> None:
        if self.pinger is None and self.loop is not None:  # not once closed
            self.pinger = asyncio.ensure_future(self._keepalive(every))

    async def _keepalive(self, every: float) -> None:
        while True:
            if not await self._ping():
                return
            await asyncio.sleep(every)

    async def _ping(self) -> bool:
        """Sends one keepalive; False when the stream takes no more."""
        raise NotImplementedError

    def start_watching(self) -> None:
        """Called by the sweep when ``receive`` is set."""
        raise NotImplementedError

    def close(self) -> None:
        self.loop = None
        if self.pinger is not None:
            self.pinger.cancel()
        if self.watcher is not None:
            self.watcher.cancel()


async def until_disconnect(receive: Receive, work: Awaitable[Any]) -> Any:
    """Runs ``work`` unless the client disconnects first; then cancels it and returns None."""
    task = asyncio.ensure_future(work)

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(watch())
    try:
        done, _ = await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
    if task in done:
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None


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
