"""Helpers for long responses shared by the transports."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, MutableMapping

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


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
    try:
        await task
    except asyncio.CancelledError:
        pass
    return None
