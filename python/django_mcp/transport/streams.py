"""Helpers for long responses shared by the transports: the keepalive and
disconnect watching of event streams."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from time import monotonic
from typing import Any

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
