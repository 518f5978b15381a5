"""Calling user functions: async ones on the event loop, sync ones in a
worker thread (so the sync ORM works), with Context, timeout and logging."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from django.db import close_old_connections
from django.db.backends.signals import connection_created

from ..conf import mcp_settings
from ..context import Context, _current
from ..registry.signature import Parameters
from .errors import ProtocolError
from .multiround import MissingCapability
from .sync_runner import SyncRunner


class Function(Protocol):
    """What running a registered function needs of it (``server.Function``,
    which is defined above this module and so only described here)."""

    @property
    def kind(self) -> str: ...
    @property
    def fn(self) -> Callable[..., Any]: ...
    @property
    def params(self) -> Parameters: ...
    @property
    def is_async(self) -> bool: ...
    @property
    def logs_itself(self) -> bool: ...
    @property
    def name(self) -> str: ...


logger = logging.getLogger("django_mcp")

F = TypeVar("F", bound=Callable[..., Any])

if sys.version_info >= (3, 11):

    async def _with_timeout(awaitable: Any, seconds: float | None) -> Any:
        async with asyncio.timeout(seconds):
            return await awaitable

else:  # pragma: no cover - Python 3.10

    async def _with_timeout(awaitable: Any, seconds: float | None) -> Any:
        return await asyncio.wait_for(awaitable, seconds)


_runner: SyncRunner | None = None


def _sync_runner() -> SyncRunner:
    """The threads sync functions run in (MCP_SYNC_THREADS of them)."""
    global _runner
    if _runner is None:
        # Database connections are checked when a worker takes up work after
        # waiting (old or broken ones closed, as at the start of a Django
        # request) and after every call (as at its end): between calls drained
        # back to back, the check after one is the check before the next.
        _runner = SyncRunner(
            int(mcp_settings.MCP_SYNC_THREADS or 8),
            on_wake=_check_connections,
            spares=int(mcp_settings.MCP_SYNC_SPARE_THREADS),
        )
        _lower_switch_interval(mcp_settings.MCP_SYNC_SWITCH_INTERVAL)
    return _runner


def _give_up(work: Any) -> None:
    """The caller stopped waiting for ``work``: a sync function still running
    in a worker no longer holds that worker's place (MCP_SYNC_SPARE_THREADS)."""
    if _runner is not None and isinstance(work, asyncio.Future):
        _runner.given_up(work)


def _lower_switch_interval(seconds: float | None) -> None:
    """With the default 5 ms, a worker thread that finished a sync call can wait
    that long for the GIL while the event loop is busy: the p99 latency of sync
    tools under load. A shorter interval hands the GIL over sooner."""
    if seconds is not None and seconds < sys.getswitchinterval():
        logger.debug(
            "Lowering the GIL switch interval from %s to %s seconds (MCP_SYNC_SWITCH_INTERVAL)",
            sys.getswitchinterval(),
            seconds,
        )
        sys.setswitchinterval(seconds)


#: Set by django_mcp.test: sync functions run in the test's own thread (through
#: asgiref), so they share its database connection and TestCase transaction.
inline_sync: contextvars.ContextVar[bool] = contextvars.ContextVar("django_mcp_inline_sync", default=False)


class _Connections(threading.local):
    #: Whether this thread ever opened a database connection.
    opened = False


_connections = _Connections()


def _opened(**kwargs: Any) -> None:
    _connections.opened = True


connection_created.connect(_opened, dispatch_uid="django_mcp.invoke.opened")


def _check_connections() -> None:
    """``close_old_connections()`` in a thread that has opened a database
    connection. Django's check walks every alias through asgiref's Local (two
    caught exceptions per alias in a sync thread), so threads whose functions
    never touched the database skip it."""
    if _connections.opened:
        close_old_connections()


def _run_sync(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    # Each call ends like a Django request: old or broken connections closed.
    try:
        return fn(**kwargs)
    finally:
        _check_connections()


async def logged_call(function: Function, kwargs: dict[str, Any], ctx: Context) -> Any:
    """Calls the user function with validated ``kwargs`` (and ``ctx`` where it
    asks for one): async ones on the loop, sync ones in a worker thread.

    With MCP_PATCH_SDK_TOOL_LOGGING, entry and exit are logged at DEBUG and
    exceptions at WARNING with their traceback; without it a failure is still
    recorded once, tersely, at DEBUG.
    """
    logged = mcp_settings.MCP_PATCH_SDK_TOOL_LOGGING and not function.logs_itself
    debug = logged and logger.isEnabledFor(logging.DEBUG)
    if debug:
        logger.debug("MCP %s %s called with %r", function.kind, function.name, _loggable(kwargs, function))
    if function.params.context_param is not None:
        kwargs[function.params.context_param] = ctx
    # Under the transport (ctx._watch) the call's deadline is enforced by the
    # transport's sweep: nothing to arm here. Elsewhere (mcp_stdio, a Context
    # made by hand) each call gets its own timeout.
    watch = ctx._watch
    token = _current.set(ctx)
    work: Any = None
    try:
        if function.is_async:
            work = function.fn(**kwargs)
        elif inline_sync.get():
            from asgiref.sync import sync_to_async

            work = sync_to_async(function.fn, thread_sensitive=True)(**kwargs)
        else:
            # A worker thread cannot be stopped: past the timeout its late result is dropped.
            work = _sync_runner().run(_run_sync, function.fn, kwargs)
        result = await (work if watch is not None else _with_timeout(work, timeout()))
    except asyncio.CancelledError:
        _give_up(work)
        if watch is None or not watch.expired(asyncio.current_task()):
            if logged:
                logger.warning("MCP %s %s was cancelled", function.kind, function.name)
            raise
        if logged:
            logger.warning("MCP %s %s timed out", function.kind, function.name)
        raise asyncio.TimeoutError from None
    except asyncio.TimeoutError:
        _give_up(work)
        if logged:
            logger.warning("MCP %s %s timed out", function.kind, function.name)
        raise
    except (MissingCapability, ProtocolError):
        raise  # answered with a JSON-RPC error the function chose, or the client's omission (-32021)
    except Exception:
        if logged:
            logger.warning("MCP %s %s raised an exception", function.kind, function.name, exc_info=True)
        else:
            logger.debug("MCP %s %s raised", function.kind, function.name, exc_info=True)
        raise
    finally:
        _current.reset(token)
    if debug:
        logger.debug("MCP %s %s returned %r", function.kind, function.name, result)
    return result


def timeout() -> float | None:
    """MCP_HTTP_REQUEST_TIMEOUT in seconds, None for no limit."""
    seconds = mcp_settings.MCP_HTTP_REQUEST_TIMEOUT
    return float(seconds) if seconds else None


def _loggable(kwargs: dict[str, Any], function: Function) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if k != function.params.context_param}


def log_mcp_tool_calls(fn: F) -> F:
    """Logs entry and exit (DEBUG) and exceptions with traceback (WARNING) of one tool,
    for use with ``MCP_PATCH_SDK_TOOL_LOGGING = False``. Place it below ``@mcp_app.tool()``."""
    name = getattr(fn, "__name__", repr(fn))
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            logger.debug("MCP tool %s called with %r", name, _safe(kwargs))
            try:
                result = await fn(*args, **kwargs)
            except Exception:
                logger.warning("MCP tool %s raised an exception", name, exc_info=True)
                raise
            logger.debug("MCP tool %s returned %r", name, result)
            return result

        wrapper: Any = async_wrapper
    else:

        @functools.wraps(fn)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            logger.debug("MCP tool %s called with %r", name, _safe(kwargs))
            try:
                result = fn(*args, **kwargs)
            except Exception:
                logger.warning("MCP tool %s raised an exception", name, exc_info=True)
                raise
            logger.debug("MCP tool %s returned %r", name, result)
            return result

        wrapper = sync_wrapper
    wrapper._django_mcp_logged = True
    return wrapper


def _safe(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if not isinstance(v, Context)}
