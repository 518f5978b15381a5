"""The processes of a site talking through Redis pub/sub, so that nothing
needs a request to reach one particular process.

With the Redis session store (``MCP_SESSION_STORE = "cache"`` and a Redis
cache or ``MCP_SESSION_REDIS_URL``), each process that serves MCP holds one
pub/sub connection, subscribed to two channels:

* ``django_mcp:bus``, which every process hears: change notifications
  (``notify_resource_updated``, ``notify_list_changed``), cancellations of
  calls running elsewhere, and changes of a session's resource subscriptions;
* ``django_mcp:p:<process>``, this process's own: a client's answer to a
  request (elicitation, sampling, roots) that this process sent and waits
  for, POSTed to another process. The process is named in the request's id.

Any process of the site may publish, one that serves no HTTP too (a
management command, a task worker): publishing needs no subscription.
Pub/sub keeps nothing: a process cut off from Redis misses what is published
meanwhile (it reconnects within a second and logs the gap).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import os
import secrets
import threading
import weakref
from collections.abc import Callable
from typing import Any

from ..conf import mcp_settings, on_reload

logger = logging.getLogger("django_mcp")

PREFIX = "django_mcp:"
#: The channel every process hears.
EVERYONE = f"{PREFIX}bus"

Handler = Callable[[dict[str, Any]], None]


def redis_url() -> str | None:
    """The Redis that carries sessions' events and the processes' messages,
    or None when the session store keeps them in one process."""
    from django.conf import settings

    if mcp_settings.MCP_SESSION_STORE != "cache":
        return None
    if mcp_settings.MCP_SESSION_REDIS_URL:
        return str(mcp_settings.MCP_SESSION_REDIS_URL)
    config = getattr(settings, "CACHES", {}).get(str(mcp_settings.MCP_SESSION_CACHE_ALIAS), {})
    if "redis" not in str(config.get("BACKEND", "")).lower():
        return None
    location = config.get("LOCATION")
    if isinstance(location, (list, tuple)):
        location = location[0] if location else None
    return str(location) if location else None


_process: tuple[int, str] | None = None


def process_id() -> str:
    """This process's name on the bus: random, and new in a forked child
    (workers forked from a master that imported the site get their own)."""
    global _process
    pid = os.getpid()
    if _process is None or _process[0] != pid:
        _process = (pid, secrets.token_hex(6))
    return _process[1]


def channel_of(process: str) -> str:
    return f"{PREFIX}p:{process}"


_handlers: dict[str, list[Any]] = {}
_lock = threading.Lock()


def on(kind: str, handler: Handler) -> None:
    """Calls ``handler(message)`` for each message of ``kind`` from another
    process (on the bus's event loop). A bound method is held weakly, so a
    handler's object may go."""
    held: Any = weakref.WeakMethod(handler) if hasattr(handler, "__self__") else handler
    with _lock:
        _handlers.setdefault(kind, []).append(held)


def encode(kind: str, **fields: Any) -> str:
    return json.dumps({"k": kind, "o": process_id(), **fields})


class Bus:
    """This process's end of the bus: one pub/sub connection, started on the
    first ``start()``, and clients to publish with."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._listener: asyncio.Task[None] | None = None
        #: Done once the pub/sub connection is subscribed (any thread may wait on it).
        self._subscribed: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._clients: dict[asyncio.AbstractEventLoop, Any] = {}
        self._sync_client: Any = None
        self._pending: set[asyncio.Task[Any]] = set()

    async def start(self) -> bool:
        """Subscribes this process, once; returns when messages will be heard
        (True), or after MCP_SESSION_STORE_TIMEOUT (+2 s) without Redis (False)."""
        with self._lock:
            task = self._listener
            if task is None or task.done() or task.get_loop().is_closed():
                if self._subscribed.done():
                    self._subscribed = concurrent.futures.Future()
                self._listener = task = asyncio.get_running_loop().create_task(self._listen(self._subscribed))
            subscribed = self._subscribed
        if subscribed.done():
            return True
        try:
            await asyncio.wait_for(asyncio.wrap_future(subscribed), float(mcp_settings.MCP_SESSION_STORE_TIMEOUT) + 2)
        except asyncio.TimeoutError:
            # Carried on regardless: what stays in this process still works.
            logger.warning(
                "The MCP bus could not subscribe at %s; messages from other processes are missed", self._where
            )
            return False
        return True

    @property
    def _where(self) -> str:
        return self.url.rpartition("@")[2]  # without credentials

    async def _listen(self, subscribed: concurrent.futures.Future[None]) -> None:
        import redis.asyncio

        channels = (EVERYONE, channel_of(process_id()))
        while True:
            client = redis.asyncio.Redis.from_url(self.url, socket_connect_timeout=2)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*channels)
                if not subscribed.done():
                    subscribed.set_result(None)
                else:
                    logger.warning("Reconnected to the MCP bus at %s", self._where)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as e:
                logger.warning("MCP bus connection lost (%s: %s); reconnecting", type(e).__name__, e)
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(Exception):  # the connection is already gone
                    await pubsub.aclose()
                    await client.aclose()

    def _dispatch(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
            kind = message["k"]
        except (ValueError, KeyError, TypeError):
            logger.warning("Ignored a message on the MCP bus that could not be read")
            return
        if message.get("o") == process_id():
            return  # our own broadcast: already delivered here
        with _lock:
            handlers = list(_handlers.get(kind, ()))
        for held in handlers:
            handler = held() if isinstance(held, weakref.WeakMethod) else held
            if handler is None:
                continue
            try:
                handler(message)
            except Exception:
                logger.exception("An MCP bus handler failed on a %r message", kind)

    def _client(self) -> Any:
        import redis.asyncio

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            for old in [old for old in self._clients if old.is_closed()]:
                del self._clients[old]
            client = self._clients[loop] = redis.asyncio.Redis.from_url(self.url, socket_connect_timeout=2)
        return client

    async def publish(self, message: str, to: str | None = None) -> int:
        """Sends ``message`` (``encode()``) to process ``to``, or to every process;
        the number of processes that heard it."""
        channel = EVERYONE if to is None else channel_of(to)
        limit = float(mcp_settings.MCP_SESSION_STORE_TIMEOUT)
        return int(await asyncio.wait_for(self._client().publish(channel, message), limit))

    def post(self, message: str, to: str | None = None) -> None:
        """``publish`` from code that cannot wait: in the background on the
        running event loop, else (a thread with no loop) right away."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            self._publish_now(message, to)
            return
        task = loop.create_task(self._publish_logged(message, to))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish_logged(self, message: str, to: str | None) -> None:
        try:
            heard = await self.publish(message, to)
        except Exception as e:
            logger.error("Could not publish on the MCP bus (%s: %s); the message was lost", type(e).__name__, e)
            return
        if to is not None and not heard:
            logger.warning("The MCP process %s that a message was for is gone", to)

    def _publish_now(self, message: str, to: str | None) -> None:
        import redis

        if self._sync_client is None:
            self._sync_client = redis.Redis.from_url(
                self.url, socket_connect_timeout=2, socket_timeout=float(mcp_settings.MCP_SESSION_STORE_TIMEOUT)
            )
        try:
            self._sync_client.publish(EVERYONE if to is None else channel_of(to), message)
        except Exception as e:
            logger.error("Could not publish on the MCP bus (%s: %s); the message was lost", type(e).__name__, e)


_bus: Bus | None = None
_bus_url: str | None = None
_read = False


def current() -> Bus | None:
    """This process's bus, or None when the session store cannot carry one."""
    global _bus, _bus_url, _read
    if not _read:
        url = redis_url()
        if url != _bus_url:
            _bus, _bus_url = (Bus(url) if url else None), url
        _read = True
    return _bus


def _settings_changed() -> None:
    global _read
    _read = False


on_reload(_settings_changed)
