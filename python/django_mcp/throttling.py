"""Rate limits on tool, resource and prompt calls, in the style of Django REST
framework's throttles.

Before a call runs, each class in MCP_THROTTLE_CLASSES is asked
``allow_call(ctx, function)``; the first that says no refuses the call with a
JSON-RPC error (code ``RATE_LIMITED``, ``data.retryAfter`` in seconds), which
a plain JSON answer to a single request carries with HTTP 429 and
``Retry-After``. Rates such as ``"100/min"`` are set per scope in
MCP_THROTTLE_RATES, or per function with ``@throttle("10/min")``.

Calls are counted in Django's cache (MCP_THROTTLE_CACHE_ALIAS), so with Redis
the limits hold for all processes together. Each count covers a fixed window
of the rate's period; the windows of different callers start at different
moments, so they do not all reopen at once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
import zlib
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from . import _core
from .auth.gate import principal
from .conf import mcp_settings, on_reload

if TYPE_CHECKING:
    from .context import Context
    from .server import Function

__all__ = [
    "RATE_LIMITED",
    "AnonRateThrottle",
    "BaseThrottle",
    "GlobalRateThrottle",
    "SimpleRateThrottle",
    "ToolRateThrottle",
    "UserRateThrottle",
    "parse_rate",
    "throttle",
]

logger = logging.getLogger("django_mcp")

#: The JSON-RPC error code of a call refused by a rate limit. In the range
#: JSON-RPC leaves to implementations, clear of what the MCP SDKs use
#: (-32000 connection closed, -32001 request timeout, -32002 resource not found).
#: A complete answer that is such an error alone is sent with HTTP 429 and
#: Retry-After (the engine's rule, so the same in every transport).
RATE_LIMITED: int = _core.RATE_LIMITED

#: Seconds in each period a rate may name; only its first letter counts, as in
#: DRF ("100/min", "100/minute" and "100/m" are the same rate).
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

F = TypeVar("F", bound=Callable[..., Any])


@lru_cache(maxsize=256)
def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """``"100/min"`` -> ``(100, 60)``: how many calls, per how many seconds.
    None for no rate; ValueError for text that is not a rate."""
    if rate is None:
        return None
    count, slash, period = str(rate).partition("/")
    seconds = PERIODS.get(period.strip()[:1].lower())
    if not slash or seconds is None or not count.strip().isdigit():
        raise ValueError(f"{rate!r} is not a rate such as '100/min' (calls per s, min, hour or day)")
    return int(count), seconds


def throttle(rate: str) -> Callable[[F], F]:
    """Gives one tool, resource or prompt its own rate, per caller
    (``ToolRateThrottle``); MCP_THROTTLE_RATES may override it::

        @mcp_app.tool()
        @throttle("10/min")
        def search(query: str) -> list[str]: ...
    """
    parse_rate(rate)  # a bad rate fails at import, not at the first call

    def decorator(fn: F) -> F:
        fn._django_mcp_rate = rate  # type: ignore[attr-defined]
        return fn

    return decorator


def get_ident(ctx: Context) -> str:
    """Who is calling: ``user:<pk>`` for a user, ``subject:<name>`` for a
    token with no user row (an OAuth client acting for itself, a JWT subject),
    ``ip:<address>`` for an anonymous caller. Behind a proxy, run uvicorn with
    ``--proxy-headers`` so the address is the client's, not the proxy's."""
    scope = ctx.scope or {}
    who = principal(scope)
    if who:
        return who
    client = scope.get("client")
    return f"ip:{client[0]}" if client else "ip:unknown"


class BaseThrottle:
    """A rule deciding whether a call may run now. A throttle is made for each
    call, so it may keep what ``allow_call`` found for ``wait``."""

    async def allow_call(self, ctx: Context, function: Function) -> bool:
        """Whether the call of ``function`` (with ``ctx``: user, auth, request) may run."""
        raise NotImplementedError

    def wait(self) -> float | None:
        """Seconds until a refused call would be allowed (the ``Retry-After``), or None."""
        return None

    def describe(self) -> str:
        """What the limit is, for the error message."""
        return "a rate limit"


class SimpleRateThrottle(BaseThrottle):
    """Counts calls per cache key within the period of a rate.

    Subclasses set ``scope`` (the key of MCP_THROTTLE_RATES holding the rate,
    or set ``rate`` itself) and say whose calls count together in
    ``get_cache_key`` (None: the call is not limited by this throttle)."""

    scope: str = ""
    #: The rate, when the class sets it rather than MCP_THROTTLE_RATES.
    rate: str | None = None
    #: Words for the error message: "10/min per caller".
    per: str = "per caller"
    cache_format = "mcp:throttle:{scope}:{ident}"

    def __init__(self) -> None:
        self._rate: str | None = None
        self._wait: float | None = None
        #: Of the current window (``window``): calls allowed, now and its end (shifted seconds).
        self._allowed = 0
        self._now = self._end = 0.0

    def get_rate(self, function: Function) -> str | None:
        return self.rate or mcp_settings.MCP_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, ctx: Context, function: Function) -> str | None:
        raise NotImplementedError

    async def allow_call(self, ctx: Context, function: Function) -> bool:
        window = self.window(ctx, function)
        if window is None:
            return True
        try:
            (count,) = await counter().hit([window])
        except Exception as e:
            warn_uncounted(e)
            return True
        return self.allows(count)

    def window(self, ctx: Context, function: Function) -> tuple[str, int] | None:
        """The cache key counting this call, and its lifetime in seconds; None
        when this throttle does not limit it. Each key's windows are shifted by a
        stable amount within the period, so callers' windows do not all reopen at once."""
        rate = self._rate = self.get_rate(function)
        limit = parse_rate(rate)
        if limit is None:
            return None
        key = self.get_cache_key(ctx, function)
        if key is None:
            return None
        self._allowed, seconds = limit
        self._now = now = time.time() + _shift(key, seconds)
        window = int(now // seconds)
        self._end = (window + 1) * seconds
        return f"{key}:{window}", seconds

    def allows(self, count: int) -> bool:
        """Whether the ``count``-th call of the current window is within the rate."""
        if count <= self._allowed:
            return True
        self._wait = self._end - self._now
        return False

    def wait(self) -> float | None:
        return self._wait

    def describe(self) -> str:
        return f"{self._rate} {self.per}"


@lru_cache(maxsize=4096)
def _cache_key(cache_format: str, scope: str, ident: str) -> str:
    """``cache_format`` filled in: the same few keys come with call after call."""
    return cache_format.format(scope=scope, ident=ident)


@lru_cache(maxsize=4096)
def _shift(key: str, seconds: int) -> int:
    """How far into the period the windows of ``key`` start: stable, and
    different from key to key."""
    return zlib.crc32(key.encode()) % seconds


def warn_uncounted(error: Exception) -> None:
    # A cache that cannot count does not stop the calls: they run unlimited.
    logger.warning("MCP rate limits not applied: the cache failed (%s: %s)", type(error).__name__, error)


class UserRateThrottle(SimpleRateThrottle):
    """MCP_THROTTLE_RATES["user"]: each caller's calls together, whoever they
    are (a user, a token's subject, an anonymous caller's address)."""

    scope = "user"

    def get_cache_key(self, ctx: Context, function: Function) -> str | None:
        return _cache_key(self.cache_format, self.scope, get_ident(ctx))


class AnonRateThrottle(SimpleRateThrottle):
    """MCP_THROTTLE_RATES["anon"]: anonymous callers, per address."""

    scope = "anon"
    per = "per address for anonymous callers"

    def get_cache_key(self, ctx: Context, function: Function) -> str | None:
        if principal(ctx.scope or {}):
            return None
        return _cache_key(self.cache_format, self.scope, get_ident(ctx))


class ToolRateThrottle(SimpleRateThrottle):
    """Each tool, resource or prompt with a rate of its own, per caller: the
    rate of MCP_THROTTLE_RATES["tool:<name>"] (``prompt:<name>``,
    ``resource:<uri or template>``), else of ``@throttle``."""

    scope = "tool"

    def get_rate(self, function: Function) -> str | None:
        self._function = function
        named = mcp_settings.MCP_THROTTLE_RATES.get(f"{function.kind}:{function.key}")
        return named or self.rate or getattr(function.fn, "_django_mcp_rate", None)

    def get_cache_key(self, ctx: Context, function: Function) -> str | None:
        return _cache_key(self.cache_format, f"{function.kind}:{function.key}", get_ident(ctx))

    def describe(self) -> str:
        return f"{self._rate} per caller for {self._function.kind} {self._function.name}"


class GlobalRateThrottle(SimpleRateThrottle):
    """MCP_THROTTLE_RATES["global"]: every caller's calls together."""

    scope = "global"
    per = "for all callers together"

    def get_cache_key(self, ctx: Context, function: Function) -> str | None:
        return _cache_key(self.cache_format, self.scope, "all")


# -- counting -----------------------------------------------------------------

#: Counts in Redis: for each key, ``SET key 0 EX seconds NX`` then ``INCR key``,
#: all of a call's limits in one round trip, atomic for every process.
_REDIS_HITS = """
local counts = {}
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[i], 'NX')
  counts[i] = redis.call('INCR', key)
end
return counts
"""


class Counter:
    """Counts calls: ``hit([(key, seconds), ...])`` adds one to the count of
    each key (which lives ``seconds`` from its first hit) and returns the counts.
    This one uses any Django cache, a key at a time."""

    def __init__(self, alias: str) -> None:
        from django.core.cache import caches

        self.cache = caches[alias]

    async def hit(self, windows: list[tuple[str, int]]) -> list[int]:
        cache, counts = self.cache, []
        for key, seconds in windows:
            if await cache.aadd(key, 1, seconds):
                counts.append(1)
                continue
            try:
                counts.append(int(await cache.aincr(key)))
            except ValueError:  # expired in between
                await cache.aset(key, 1, seconds)
                counts.append(1)
        return counts


class LocalCounter(Counter):
    """For a cache that lives in the process (LocMemCache) or none (DummyCache):
    the counts are kept in the process itself, in a dictionary, which does what
    that cache would at a fraction of the cost (no pickling, no key checks).
    A change of the MCP settings (``override_settings`` in tests) starts afresh."""

    #: Seconds between two sweeps of the counts of past windows.
    SWEEP_EVERY = 60.0

    def __init__(self, alias: str) -> None:
        super().__init__(alias)
        #: key -> [count, when the key expires (monotonic seconds)]
        self.counts: dict[str, list[float]] = {}
        self.lock = threading.Lock()  # mounts may serve calls from several threads' loops
        self.swept = time.monotonic()

    async def hit(self, windows: list[tuple[str, int]]) -> list[int]:
        now = time.monotonic()
        counts = self.counts
        out = []
        with self.lock:
            for key, seconds in windows:
                entry = counts.get(key)
                if entry is None or entry[1] <= now:
                    entry = counts[key] = [0, now + seconds]
                entry[0] += 1
                out.append(int(entry[0]))
            if now - self.swept > self.SWEEP_EVERY:
                self.swept = now
                for key in [k for k, (_, expires) in counts.items() if expires <= now]:
                    del counts[key]
        return out


class RedisCounter(Counter):
    """The counts in Redis itself (the cache's server, its KEY_PREFIX and
    VERSION), from the event loop with no thread: one script per call."""

    def __init__(self, alias: str, url: str) -> None:
        super().__init__(alias)
        self.url = url
        #: One client per event loop (a redis.asyncio connection belongs to its loop).
        self.scripts: dict[asyncio.AbstractEventLoop, Any] = {}

    async def hit(self, windows: list[tuple[str, int]]) -> list[int]:
        loop = asyncio.get_running_loop()
        script = self.scripts.get(loop)
        if script is None:
            import redis.asyncio

            # A Redis that does not answer within a second counts as failed.
            client = redis.asyncio.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=1)
            script = self.scripts[loop] = client.register_script(_REDIS_HITS)
        make_key = self.cache.make_and_validate_key
        counts = await script(keys=[make_key(key) for key, _ in windows], args=[seconds for _, seconds in windows])
        return [int(c) for c in counts]


_counter: Counter | None = None


def counter() -> Counter:
    """The Counter of MCP_THROTTLE_CACHE_ALIAS, made on first use."""
    global _counter
    if _counter is None:
        alias = str(mcp_settings.MCP_THROTTLE_CACHE_ALIAS)
        url = _redis_location(alias)
        if url:
            _counter = RedisCounter(alias, url)
        elif _in_process(alias):
            _counter = LocalCounter(alias)
        else:
            _counter = Counter(alias)
    return _counter


def _in_process(alias: str) -> bool:
    from django.core.cache import caches
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.locmem import LocMemCache

    return isinstance(caches[alias], (LocMemCache, DummyCache))


def _redis_location(alias: str) -> str | None:
    """The URL of the cache's Redis (the first server of LOCATION) when it is
    Django's RedisCache, else None."""
    from django.conf import settings

    config = settings.CACHES.get(alias, {})
    if config.get("BACKEND") != "django.core.cache.backends.redis.RedisCache":
        return None
    location = config.get("LOCATION")
    if isinstance(location, str) and "," in location:
        location = location.split(",")
    if isinstance(location, (list, tuple)):
        location = location[0] if location else None
    return str(location) if location else None


def _forget_counter() -> None:
    global _counter
    _counter = None


on_reload(_forget_counter)


def seconds_to_wait(wait: float | None) -> int:
    """``Retry-After`` in whole seconds, at least 1."""
    return max(1, math.ceil(wait)) if wait is not None else 1
