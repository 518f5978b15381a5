"""Change notifications for ``subscriptions/listen`` streams (2026-07-28):
list changes of tools, prompts and resources, and updates of subscribed resources."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

#: Filter flag -> the notification it enables.
LIST_CHANGED = {
    "toolsListChanged": "notifications/tools/list_changed",
    "promptsListChanged": "notifications/prompts/list_changed",
    "resourcesListChanged": "notifications/resources/list_changed",
}


@dataclass(eq=False)
class Listener:
    """One open listen stream: what it asked for, and its queue of notifications."""

    flags: frozenset[str]
    uris: frozenset[str]
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = field(default_factory=asyncio.Queue)

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
    """Fans notifications out to the listen streams of this process."""

    def __init__(self) -> None:
        self._listeners: set[Listener] = set()
        self._lock = threading.Lock()

    def open(self, accepted: dict[str, Any]) -> Listener:
        listener = Listener(
            flags=frozenset(k for k in LIST_CHANGED if accepted.get(k)),
            uris=frozenset(accepted.get("resourceSubscriptions", ())),
            loop=asyncio.get_running_loop(),
        )
        with self._lock:
            self._listeners.add(listener)
        return listener

    def close(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.discard(listener)

    def publish(self, method: str, params: dict[str, Any] | None = None) -> None:
        """Queues a notification for every stream that asked for it; callable from any thread."""
        params = params or {}
        with self._lock:
            targets = [listener for listener in self._listeners if listener.wants(method, params)]
        for listener in targets:
            listener.loop.call_soon_threadsafe(listener.queue.put_nowait, (method, params))
