"""Change notifications: list changes of tools, prompts and resources, and
updates of subscribed resources, for ``subscriptions/listen`` streams
(2026-07-28) and the session streams of handshake-era clients.

``publish`` delivers to the streams of this process and, with the Redis
session store, through the bus (``bus.py``) to those of every other process;
it is callable from any thread and from processes that serve no HTTP."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from . import bus

#: Filter flag -> the notification it enables.
LIST_CHANGED = {
    "toolsListChanged": "notifications/tools/list_changed",
    "promptsListChanged": "notifications/prompts/list_changed",
    "resourcesListChanged": "notifications/resources/list_changed",
}

#: Queued to a session's stream when the session's subscriptions changed in
#: another process: the stream reads them again from the store.
RESUBSCRIBED = "resubscribed"


@dataclass(eq=False)
class Listener:
    """One open stream: what it asked for, and its queue of notifications."""

    flags: frozenset[str]
    uris: frozenset[str] | set[str]
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = field(default_factory=asyncio.Queue)
    #: The session whose stream this is (its subscriptions may change elsewhere).
    session: str | None = None

    def wants(self, method: str, params: dict[str, Any]) -> bool:
        if method == "notifications/resources/updated":
            return params.get("uri") in self.uris
        return any(LIST_CHANGED[f] == method for f in self.flags)


def honored(requested: dict[str, Any]) -> dict[str, Any]:
    """The subset of a listen filter this server honours (it honours every core kind)."""
    out: dict[str, Any] = {k: True for k in LIST_CHANGED if requested.get(k)}
    uris = requested.get("resourceSubscriptions")
    if isinstance(uris, list) and uris:
        out["resourceSubscriptions"] = [str(u) for u in uris]
    return out


class Subscriptions:
    """Fans notifications out to the open streams of this process, and to
    those of the site's other processes when a bus connects them."""

    def __init__(self) -> None:
        self._listeners: set[Listener] = set()
        self._lock = threading.Lock()
        bus.on("notify", self._heard)
        bus.on("uris", self._resubscribed)

    async def connect(self) -> None:
        """Makes sure notifications published by other processes reach this one."""
        found = bus.current()
        if found is not None:
            await found.start()

    def open(self, accepted: dict[str, Any], session: str | None = None) -> Listener:
        listener = Listener(
            flags=frozenset(k for k in LIST_CHANGED if accepted.get(k)),
            uris=frozenset(accepted.get("resourceSubscriptions", ())),
            loop=asyncio.get_running_loop(),
            session=session,
        )
        with self._lock:
            self._listeners.add(listener)
        return listener

    def close(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.discard(listener)

    def publish(self, method: str, params: dict[str, Any] | None = None) -> None:
        """Queues a notification for every stream that asked for it, here and
        in the other processes; callable from any thread."""
        params = params or {}
        self.deliver(method, params)
        found = bus.current()
        if found is not None:
            found.post(bus.encode("notify", method=method, params=params))

    def deliver(self, method: str, params: dict[str, Any]) -> None:
        """Queues a notification for this process's streams that asked for it."""
        with self._lock:
            targets = [listener for listener in self._listeners if listener.wants(method, params)]
        for listener in targets:
            listener.loop.call_soon_threadsafe(listener.queue.put_nowait, (method, params))

    def _heard(self, message: dict[str, Any]) -> None:
        params = message.get("params")
        self.deliver(str(message.get("method")), params if isinstance(params, dict) else {})

    def _resubscribed(self, message: dict[str, Any]) -> None:
        session = message.get("s")
        with self._lock:
            targets = [listener for listener in self._listeners if listener.session == session]
        for listener in targets:
            listener.loop.call_soon_threadsafe(listener.queue.put_nowait, (RESUBSCRIBED, {}))
