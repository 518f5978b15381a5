"""The calls a mount is running: cancellation by the client, the request
timeout, and the keepalive sweep of event streams."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Hashable
from time import monotonic
from typing import TYPE_CHECKING, Any

from ..auth.gate import caller
from ..runtime import bus

if TYPE_CHECKING:
    from ..context import Context
    from .streams import SweptStream


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
        #: Event streams not yet pinging (streams.SweptStream).
        self.streams: set[SweptStream] = set()
        #: Tasks cancelled by their client, and by their deadline.
        self.cancelled: set[asyncio.Task[Any]] = set()
        self.timed_out: set[asyncio.Task[Any]] = set()
        #: When the sweep last ran (monotonic seconds); it counts as stopped
        #: ``patience`` seconds after that. A sweep stops when no call is left,
        #: or with its event loop, and the next call starts one.
        self.swept = -1e18
        self.configure(None, 15.0)  # the mount configures it from settings
        bus.on("cancel", self._heard)

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
        self.swept = monotonic()
        asyncio.get_running_loop().call_later(self.period, self._sweep)

    def _sweep(self) -> None:
        now = self.swept = monotonic()
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

    def cancel(self, key: tuple[Any, str]) -> bool:
        """Cancels the call ``key`` names, if it runs here (True)."""
        owner, request_id = key
        # A snapshot: calls on other threads' event loops may come and go meanwhile.
        found = [
            task
            for task, ctx in list(self.running.items())
            if ctx._call is not None and ctx._call.id == request_id and _owner(ctx) == owner
        ]
        if len(found) == 1 and not found[0].done():
            task = found[0]
            self.cancelled.add(task)
            _on_loop(task.get_loop(), task.cancel)
            return True
        return False

    def cancel_anywhere(self, session_id: str, request_id: str) -> None:
        """Cancels a call of a session in whichever process of the site runs it."""
        if self.cancel((session_id, request_id)):
            return
        found = bus.current()
        if found is not None:
            found.post(bus.encode("cancel", s=session_id, id=request_id))

    def _heard(self, message: dict[str, Any]) -> None:
        self.cancel((str(message.get("s")), str(message.get("id"))))


def _owner(ctx: Context) -> Hashable:
    """Who may cancel the call ``ctx`` runs: its session, else its request's caller."""
    return caller(ctx.scope or {}) if ctx._client is None else ctx._client


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
    with contextlib.suppress(RuntimeError):  # that loop has closed
        loop.call_soon_threadsafe(callback)
