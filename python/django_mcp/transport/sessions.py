"""Where the stateful transports keep their sessions and the events a client
may resume from.

Two stores, chosen by ``MCP_SESSION_STORE``:

``"memory"`` (the default)
    Sessions and events in this process. Small (a few hundred bytes per idle
    session), fast, and gone when the process restarts; several processes
    need sticky load balancing.

``"cache"``
    Session records in Django's cache (``MCP_SESSION_CACHE_ALIAS``), so they
    survive restarts and any process can serve any request. When that cache is
    Redis (or ``MCP_SESSION_REDIS_URL`` is set), events go to Redis streams,
    which both keep them for resumption and carry them between processes: a
    stream held open by one process receives what another one appends. A
    session's resource subscriptions are kept there too, and the processes
    pass one another the rest through Redis pub/sub (``runtime/bus.py``).

Stream names are hex (the engine's event ids need it); ``"0"`` is a session's
own stream (the standalone GET stream, and every message of the HTTP+SSE
transport). An empty message marks the end of a stream.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import secrets
import sys
import time
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..conf import mcp_settings
from ..runtime.bus import EVERYONE, encode, redis_url

logger = logging.getLogger("django_mcp")

T = TypeVar("T")

#: The session's own stream.
SESSION_STREAM = "0"
#: Appended to a stream when nothing more will follow.
END = b""


class StoreUnavailable(Exception):
    """The session store's backend cannot be reached."""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    #: The protocol revision the session negotiated.
    version: str
    #: The path it was opened at (path parameters resolved); requests to another path are refused.
    path: str
    #: Who opened it (``principal()``: a user, a token's subject, "" for
    #: anonymous); requests of anyone else are answered as for an unknown session.
    owner: str = ""
    #: The transport it was opened on ("http" or "sse"); "" in records written
    #: before sessions were bound to one.
    transport: str = ""

    def interned(self) -> SessionRecord:
        """The same record with its strings interned: sessions share the few distinct values."""
        return SessionRecord(*(sys.intern(value) for value in dataclasses.astuple(self)))

    def refuses(self, owner: str, transport: str) -> bool:
        """Whether a request of ``owner`` on ``transport`` must not use this session."""
        return owner != self.owner or (bool(self.transport) and transport != self.transport)


def new_stream() -> str:
    return secrets.token_hex(6)


class SessionStore:
    """The interface both stores implement. Every method may raise StoreUnavailable."""

    async def create(self, session_id: str, record: SessionRecord) -> None:
        raise NotImplementedError

    async def get(self, session_id: str) -> SessionRecord | None:
        """The live session, its expiry pushed back; None when unknown or expired."""
        raise NotImplementedError

    async def update(self, session_id: str, record: SessionRecord) -> None:
        raise NotImplementedError

    async def delete(self, session_id: str) -> bool:
        raise NotImplementedError

    async def append(self, session_id: str, stream: str, message: bytes) -> str:
        """Stores one event; returns its position in the stream."""
        raise NotImplementedError

    async def read(self, session_id: str, stream: str, after: str, timeout: float) -> list[tuple[str, bytes]]:
        """Events after position ``after`` ("0": all of them), waiting up to
        ``timeout`` seconds for the first; [] on timeout."""
        raise NotImplementedError

    async def tail(self, session_id: str, stream: str) -> str:
        """The position of the stream's last event: read after it for new ones."""
        raise NotImplementedError

    #: Whether another process may resume a stream this one writes: then the
    #: process running its calls keeps a lease on it (``lease``), so that a
    #: client resuming it elsewhere learns when that process is gone.
    shares_events = False

    async def lease(self, session_id: str, stream: str, pending: list[str], until: float) -> None:
        """Says the calls ``pending`` (request ids, raw JSON) of ``stream`` are
        running in a live process, until ``until`` (Unix time) unless renewed."""

    async def leased(self, session_id: str, stream: str) -> tuple[list[str], float] | None:
        """The stream's unanswered request ids and its lease's end, if it has one."""
        return None

    async def subscribe(self, session_id: str, uri: str, on: bool) -> None:
        """Records a session's ``resources/subscribe`` (``on``) or
        ``unsubscribe``, where every process sees it, and tells the process
        holding the session's stream; nothing when events stay in one process."""

    async def subscribed(self, session_id: str) -> set[str] | None:
        """The resources a session subscribed to, when the store keeps them
        (None: the process's own record is the only one)."""
        return None


class _Stream:
    __slots__ = ("events", "next", "waiters")

    def __init__(self) -> None:
        #: (position, message, order of arrival in the process).
        self.events: deque[tuple[int, bytes, int]] = deque()
        self.next = 1
        self.waiters: list[asyncio.Future[None]] = []


class _Session:
    __slots__ = ("bytes", "expires", "record", "streams")

    def __init__(self, record: SessionRecord, expires: float) -> None:
        self.record = record
        self.expires = expires
        self.streams: dict[str, _Stream] | None = None  # made on the first event
        #: Bytes of the messages its streams keep.
        self.bytes = 0


class MemoryEvents:
    """Events kept in this process, per session and stream, bounded in count
    (MCP_HTTP_EVENT_STORE_SIZE per stream, MCP_HTTP_EVENT_STORE_STREAMS per
    session) and in bytes (MCP_HTTP_EVENT_STORE_SESSION_BYTES per session,
    MCP_HTTP_EVENT_STORE_MAX_BYTES for the process). Past a bound the oldest
    events go first: a session's own oldest, and for the process bound those
    of the session that has been keeping events the longest. A stream's end
    marker is kept, so a client resuming an evicted stream is told it ended."""

    def __init__(self, sessions: dict[str, _Session] | None = None) -> None:
        # With the memory store, events hang off its sessions; otherwise they
        # have their own table.
        self._own: dict[str, _Session] = {}
        self._sessions = sessions if sessions is not None else self._own
        #: Sessions keeping events, the longest-keeping first.
        self._holding: dict[str, _Session] = {}
        self.bytes = 0
        self._arrivals = 0

    def _stream(self, session_id: str, stream: str, create: bool) -> _Stream | None:
        session = self._sessions.get(session_id)
        if session is None:
            if self._sessions is not self._own or not create:
                return None
            session = self._own[session_id] = _Session(SessionRecord("", ""), time.monotonic() + _ttl())
        if session.streams is None:
            if not create:
                return None
            session.streams = {}
        found = session.streams.get(stream)
        if found is None and create:
            if len(session.streams) >= int(mcp_settings.MCP_HTTP_EVENT_STORE_STREAMS):
                oldest = session.streams.pop(next(iter(session.streams)))  # the oldest stream goes
                dropped = sum(len(m) for _, m, _ in oldest.events)
                session.bytes -= dropped
                self.bytes -= dropped
            found = session.streams[stream] = _Stream()
        return found

    async def append(self, session_id: str, stream: str, message: bytes) -> str:
        s = self._stream(session_id, stream, True)
        if s is None:
            return "0"  # the session is gone: nobody can resume it
        position = s.next
        s.next += 1
        self._arrivals += 1
        s.events.append((position, message, self._arrivals))
        session = self._sessions[session_id]
        size = len(message)
        session.bytes += size
        self.bytes += size
        if len(s.events) > int(mcp_settings.MCP_HTTP_EVENT_STORE_SIZE):
            self._evict_from(session, s)
        if size:
            self._holding.setdefault(session_id, session)
            self._bound(session_id, session)
        waiters, s.waiters = s.waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)
        return str(position)

    def _evict_from(self, session: _Session, stream: _Stream) -> bool:
        """Drops the stream's oldest event (never a lone end marker)."""
        events = stream.events
        if not events or (len(events) == 1 and events[0][1] == END):
            return False
        _, message, _ = events.popleft()
        session.bytes -= len(message)
        self.bytes -= len(message)
        return True

    def _evict_oldest(self, session: _Session) -> bool:
        """Drops the session's oldest event with a body; False when it has none."""
        candidates = [
            s for s in (session.streams or {}).values() if s.events and (s.events[0][1] != END or len(s.events) > 1)
        ]
        if not candidates:
            return False
        return self._evict_from(session, min(candidates, key=lambda s: s.events[0][2]))

    def _bound(self, session_id: str, session: _Session) -> None:
        per_session = int(mcp_settings.MCP_HTTP_EVENT_STORE_SESSION_BYTES)
        while session.bytes > per_session and self._evict_oldest(session):
            pass
        per_process = int(mcp_settings.MCP_HTTP_EVENT_STORE_MAX_BYTES)
        while self.bytes > per_process and self._holding:
            oldest_id, oldest = next(iter(self._holding.items()))
            if not self._evict_oldest(oldest):
                del self._holding[oldest_id]  # nothing left to take from it
        if session.bytes <= 0:
            self._holding.pop(session_id, None)

    def release(self, session_id: str, session: _Session) -> None:
        """Forgets the bytes of a session that ended."""
        self.bytes -= session.bytes
        session.bytes = 0
        self._holding.pop(session_id, None)

    async def read(self, session_id: str, stream: str, after: str, timeout: float) -> list[tuple[str, bytes]]:
        s = self._stream(session_id, stream, True)
        if s is None:
            return [(str(0), END)]
        start = int(after.split("-")[0] or 0)
        found = [(str(p), m) for p, m, _ in s.events if p > start]
        if found:
            return found
        waiter = asyncio.get_running_loop().create_future()
        s.waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except asyncio.TimeoutError:
            return []
        finally:
            if waiter in s.waiters:
                s.waiters.remove(waiter)
        return [(str(p), m) for p, m, _ in s.events if p > start]

    async def tail(self, session_id: str, stream: str) -> str:
        s = self._stream(session_id, stream, True)
        return str(s.next - 1) if s is not None else "0"

    def forget(self, session_id: str) -> None:
        session = self._own.pop(session_id, None)
        if session is not None:
            self.release(session_id, session)


def _ttl() -> float:
    return float(mcp_settings.MCP_HTTP_SESSION_TTL)


class MemoryStore(SessionStore):
    """Sessions in this process's memory; expired ones are swept every
    MCP_HTTP_SESSION_CLEANUP_INTERVAL seconds."""

    def __init__(self) -> None:
        self._sessions: dict[str, _Session] = {}
        self._events = MemoryEvents(self._sessions)
        self._sweeper: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._sessions)

    def _ensure_sweeper(self) -> None:
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(float(mcp_settings.MCP_HTTP_SESSION_CLEANUP_INTERVAL))
            self.sweep()

    def sweep(self) -> int:
        now = time.monotonic()
        expired = [sid for sid, s in self._sessions.items() if s.expires <= now]
        for sid in expired:
            self._drop(sid)
        if expired:
            logger.info("Expired %d MCP session(s)", len(expired))
        return len(expired)

    def _drop(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            self._events.release(session_id, session)
        if session is not None and session.streams:
            # Readers waiting on the session's streams learn that it ended.
            for stream in session.streams.values():
                for w in stream.waiters:
                    if not w.done():
                        w.set_result(None)

    async def create(self, session_id: str, record: SessionRecord) -> None:
        self._ensure_sweeper()
        record = record.interned()
        self._sessions[session_id] = _Session(record, time.monotonic() + _ttl())

    async def get(self, session_id: str) -> SessionRecord | None:
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = time.monotonic()
        if session.expires <= now:
            self._drop(session_id)
            return None
        session.expires = now + _ttl()
        return session.record

    async def update(self, session_id: str, record: SessionRecord) -> None:
        session = self._sessions.get(session_id)
        if session is not None:
            session.record = record.interned()

    async def delete(self, session_id: str) -> bool:
        found = session_id in self._sessions
        self._drop(session_id)
        return found

    async def append(self, session_id: str, stream: str, message: bytes) -> str:
        return await self._events.append(session_id, stream, message)

    async def read(self, session_id: str, stream: str, after: str, timeout: float) -> list[tuple[str, bytes]]:
        if session_id not in self._sessions:
            return [("0", END)]
        return await self._events.read(session_id, stream, after, timeout)

    async def tail(self, session_id: str, stream: str) -> str:
        return await self._events.tail(session_id, stream)


class CacheStore(SessionStore):
    """Session records in Django's cache; events in Redis streams when the
    cache is Redis (or MCP_SESSION_REDIS_URL names one), else in this process."""

    def __init__(self) -> None:
        from django.core.cache import caches

        self._alias = str(mcp_settings.MCP_SESSION_CACHE_ALIAS)
        self._cache = caches[self._alias]
        self._prefix = "django_mcp:"
        url = redis_url()
        self._redis: Any = None
        self._redis_url = url
        self._local_events = MemoryEvents() if url is None else None
        self._append_script: Any = None

    @property
    def shares_events(self) -> bool:  # type: ignore[override]
        return self._redis_url is not None

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}s:{session_id}"

    def _lease_key(self, session_id: str, stream: str) -> str:
        return f"{self._prefix}l:{session_id}:{stream}"

    async def lease(self, session_id: str, stream: str, pending: list[str], until: float) -> None:
        if self._redis_url is None:
            return
        key = self._lease_key(session_id, stream)
        value = json.dumps([pending, until])
        await self._bounded(self._client().set(key, value, ex=int(_ttl())), self._redis_name)

    async def leased(self, session_id: str, stream: str) -> tuple[list[str], float] | None:
        if self._redis_url is None:
            return None
        value = await self._bounded(self._client().get(self._lease_key(session_id, stream)), self._redis_name)
        if value is None:
            return None
        pending, until = json.loads(value)
        return [str(p) for p in pending], float(until)

    def _uris_key(self, session_id: str) -> str:
        return f"{self._prefix}u:{session_id}"

    async def subscribe(self, session_id: str, uri: str, on: bool) -> None:
        if self._redis_url is None:
            return
        key = self._uris_key(session_id)
        # One transaction, so the processes hear of changes in the order they were made.
        async with self._client().pipeline(transaction=True) as pipe:
            (pipe.sadd if on else pipe.srem)(key, uri)
            pipe.expire(key, int(_ttl()))
            pipe.publish(EVERYONE, encode("uris", s=session_id))
            await self._bounded(pipe.execute(), self._redis_name)

    async def subscribed(self, session_id: str) -> set[str] | None:
        if self._redis_url is None:
            return None
        found = await self._bounded(self._client().smembers(self._uris_key(session_id)), self._redis_name)
        return {u.decode() if isinstance(u, bytes) else str(u) for u in found}

    def _events_key(self, session_id: str, stream: str) -> str:
        return f"{self._prefix}e:{session_id}:{stream}"

    def _bytes_key(self, session_id: str) -> str:
        """The bytes of messages the session's streams hold."""
        return f"{self._prefix}eb:{session_id}"

    def _streams_key(self, session_id: str) -> str:
        """The keys of the session's streams, the oldest first."""
        return f"{self._prefix}es:{session_id}"

    def _client(self) -> Any:
        if self._redis is None:
            import redis.asyncio

            assert self._redis_url is not None  # asked for only when events go to Redis
            # No socket timeout: XREAD blocks on purpose. Every command is
            # bounded by _bounded instead (a cancelled command drops its connection).
            self._redis = redis.asyncio.Redis.from_url(self._redis_url, socket_connect_timeout=2, socket_timeout=None)
        return self._redis

    async def _bounded(self, operation: Awaitable[T], backend: str, waits: float = 0.0) -> T:
        """``operation``'s result, or StoreUnavailable when the backend fails or
        has not answered within MCP_SESSION_STORE_TIMEOUT seconds (plus the
        ``waits`` seconds a blocking read asks for): a backend that stops
        answering (paused, or cut off without a reset) is unavailable, not slow."""
        limit = float(mcp_settings.MCP_SESSION_STORE_TIMEOUT)
        try:
            return await asyncio.wait_for(operation, limit + waits)
        except asyncio.TimeoutError as e:
            raise StoreUnavailable(
                f"{backend} did not answer within {limit:g} seconds (MCP_SESSION_STORE_TIMEOUT)"
            ) from e
        except Exception as e:  # the backend's own connection errors
            raise StoreUnavailable(f"{backend} is unreachable ({type(e).__name__}: {e})") from e

    @property
    def _cache_name(self) -> str:
        return f"the session cache {self._alias!r}"

    @property
    def _redis_name(self) -> str:
        return f"Redis at {_safe_url(self._redis_url)}"

    async def create(self, session_id: str, record: SessionRecord) -> None:
        await self._set(session_id, record)

    async def _set(self, session_id: str, record: SessionRecord) -> None:
        # JSON, so that any character of a path parameter survives the trip.
        value = json.dumps([record.version, record.path, int(time.time()), record.owner, record.transport])
        await self._bounded(self._cache.aset(self._key(session_id), value, timeout=_ttl()), self._cache_name)

    async def get(self, session_id: str) -> SessionRecord | None:
        value = await self._bounded(self._cache.aget(self._key(session_id)), self._cache_name)
        found = _decode_record(value)
        if found is None:
            return None
        record, stamp = found
        # Push the expiry back, at most every tenth of the TTL (one write, not one per request).
        if time.time() - stamp > min(_ttl() / 10, 60):
            await self._set(session_id, record)
            if self._redis_url is not None:  # and that of its subscriptions
                await self._bounded(self._client().expire(self._uris_key(session_id), int(_ttl())), self._redis_name)
        return record

    async def update(self, session_id: str, record: SessionRecord) -> None:
        await self._set(session_id, record)

    async def delete(self, session_id: str) -> bool:
        found = await self._bounded(self._cache.adelete(self._key(session_id)), self._cache_name)
        if self._redis_url is not None:
            await self._bounded(self._delete_events(session_id), self._redis_name)
        if self._local_events is not None:
            self._local_events.forget(session_id)
        return bool(found)

    async def _delete_events(self, session_id: str) -> None:
        client = self._client()
        streams = await client.lrange(self._streams_key(session_id), 0, -1)
        own = [
            self._events_key(session_id, SESSION_STREAM),
            self._bytes_key(session_id),
            self._streams_key(session_id),
            self._uris_key(session_id),
        ]
        await client.delete(*streams, *own)

    async def append(self, session_id: str, stream: str, message: bytes) -> str:
        if self._local_events is not None:
            return await self._local_events.append(session_id, stream, message)
        added = self._xadd(session_id, self._events_key(session_id, stream), message)
        position = await self._bounded(added, self._redis_name)
        return position.decode() if isinstance(position, bytes) else str(position)

    async def _xadd(self, session_id: str, key: str, message: bytes) -> Any:
        if self._append_script is None:
            self._append_script = self._client().register_script(_APPEND)
        keys = [key, self._bytes_key(session_id), self._streams_key(session_id)]
        bounds = [
            int(mcp_settings.MCP_HTTP_EVENT_STORE_SIZE),
            int(mcp_settings.MCP_HTTP_EVENT_STORE_STREAMS),
            int(mcp_settings.MCP_HTTP_EVENT_STORE_SESSION_BYTES),
            int(_ttl()),
        ]
        return await self._append_script(keys=keys, args=[message, *bounds])

    async def read(self, session_id: str, stream: str, after: str, timeout: float) -> list[tuple[str, bytes]]:
        if self._local_events is not None:
            return await self._local_events.read(session_id, stream, after, timeout)
        key = self._events_key(session_id, stream)
        block = max(1, int(timeout * 1000))
        found = await self._bounded(
            self._client().xread({key: after}, count=100, block=block), self._redis_name, waits=block / 1000
        )
        events: list[tuple[str, bytes]] = []
        for _key, entries in found or ():
            for position, fields in entries:
                events.append((position.decode() if isinstance(position, bytes) else str(position), fields[b"m"]))
        return events

    async def tail(self, session_id: str, stream: str) -> str:
        if self._local_events is not None:
            return await self._local_events.tail(session_id, stream)
        last = await self._bounded(
            self._client().xrevrange(self._events_key(session_id, stream), count=1), self._redis_name
        )
        if not last:
            return "0-0"
        position = last[0][0]
        return position.decode() if isinstance(position, bytes) else str(position)


#: Adds an event to a session's stream in Redis and keeps the session within
#: its bounds, as MemoryEvents does in a process: MCP_HTTP_EVENT_STORE_SIZE
#: events per stream, MCP_HTTP_EVENT_STORE_STREAMS streams and
#: MCP_HTTP_EVENT_STORE_SESSION_BYTES bytes of messages per session, the
#: oldest going first. A stream's end marker (an empty message) is kept, so a
#: client resuming an evicted stream is told it ended. One script, so the
#: bookkeeping (a byte count and the list of the session's streams, renewed
#: with the streams' expiry) cannot fall out of step with the streams.
#: KEYS: the stream, the session's byte count, its list of streams.
#: ARGV: the message, then the bounds: events per stream, streams, bytes, and the TTL.
_APPEND = """
local stream, count_key, streams_key = KEYS[1], KEYS[2], KEYS[3]
local per_stream, streams_max, bytes_max, ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]

local function drop_oldest(key)
    local oldest = redis.call('XRANGE', key, '-', '+', 'COUNT', 2)
    if #oldest == 0 or (#oldest == 1 and oldest[1][2][2] == '') then
        return false
    end
    redis.call('XDEL', key, oldest[1][1])
    redis.call('DECRBY', count_key, #oldest[1][2][2])
    return true
end

local position = redis.call('XADD', stream, '*', 'm', ARGV[1])
if redis.call('XLEN', stream) == 1 then
    redis.call('LREM', streams_key, 0, stream)
    redis.call('RPUSH', streams_key, stream)
end
redis.call('INCRBY', count_key, #ARGV[1])
while redis.call('XLEN', stream) > per_stream and drop_oldest(stream) do end
while redis.call('LLEN', streams_key) > streams_max do
    local oldest = redis.call('LPOP', streams_key)
    for _, entry in ipairs(redis.call('XRANGE', oldest, '-', '+')) do
        redis.call('DECRBY', count_key, #entry[2][2])
    end
    redis.call('DEL', oldest)
end
while tonumber(redis.call('GET', count_key)) > bytes_max do
    local oldest = redis.call('LINDEX', streams_key, 0)
    if not oldest then break end
    if not drop_oldest(oldest) then
        redis.call('LPOP', streams_key)  -- nothing left to take from it but its end
    end
end
for _, key in ipairs(redis.call('LRANGE', streams_key, 0, -1)) do
    redis.call('EXPIRE', key, ttl)
end
redis.call('EXPIRE', stream, ttl)
redis.call('EXPIRE', count_key, ttl)
redis.call('EXPIRE', streams_key, ttl)
return position
"""


def _decode_record(value: Any) -> tuple[SessionRecord, int] | None:
    """A cached session record and when it was written; None for anything
    else (an unknown session, or a value that is not a record)."""
    if not isinstance(value, str):
        return None
    try:
        version, path, stamp, *bound = json.loads(value) if value.startswith("[") else value.split("\n", 2)
        return SessionRecord(str(version), str(path), *(str(v) for v in bound[:2])), int(stamp or 0)
    except (ValueError, TypeError):  # not JSON, not three items, no number
        logger.warning("Ignored a session record that could not be read from the cache")
        return None


def _safe_url(url: str | None) -> str:
    """The URL without its password, for messages."""
    if not url or "@" not in url:
        return str(url)
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.split('@', 1)[1]}"


def make_store() -> SessionStore:
    kind = str(mcp_settings.MCP_SESSION_STORE)
    if kind == "memory":
        return MemoryStore()
    if kind == "cache":
        return CacheStore()
    raise ValueError(f"MCP_SESSION_STORE must be 'memory' or 'cache', not {kind!r}")
