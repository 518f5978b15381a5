"""What the transports of one mount share, read from the settings once at
start-up: the app, the body reader, the call runner, the response writer,
the session store and the CORS, compression and metrics configuration."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from .. import _core
from ..auth.gate import Gate
from ..conf import mcp_settings
from ..context import Context
from ..runtime.invoke import timeout
from .body import BodyReader
from .calls import Calls, Invoke
from .extras import Cors, Metrics, write_compressed
from .in_flight import InFlight
from .io import Request, Writer, write
from .limits import Limiter
from .sessions import MemoryStore, SessionStore, make_store
from .telemetry import Telemetry

if TYPE_CHECKING:
    from ..audit.recorder import Recorder
    from ..server import MCPApp

logger = logging.getLogger("django_mcp")


class Services:
    """One mount's shared parts. The calls in flight, the sessions'
    subscriptions and the background tasks outlive a settings change; the rest
    is read again (``configure``), and the session store made anew."""

    def __init__(self, app: MCPApp, route: str | None = None) -> None:
        self.app = app
        #: The mount path as written (``/mcp/<slug:team>``), for names that must
        #: not vary with the values in the path (span names); None: the path itself.
        self.route = route
        self.in_flight = InFlight()
        self._store: SessionStore | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.metrics: Metrics | None = None
        #: Resources each session of this process subscribed to (resources/subscribe).
        self.session_uris: dict[str, set[str]] = {}
        self.configure()

    def configure(self) -> None:
        """Reads the settings (again, after a change): the session store is made anew at first use."""
        self._store = None
        if not mcp_settings.MCP_HTTP_ENABLE_METRICS:
            self.metrics = None
        elif self.metrics is None:
            self.metrics = Metrics()  # kept across settings changes while metrics stay on
        self.cors = Cors.from_settings()
        #: Spans and durations (MCP_OPENTELEMETRY, with opentelemetry-api installed).
        self.telemetry = Telemetry.from_settings()
        self.gate = Gate(self.app)
        self.read_body = BodyReader(int(mcp_settings.MCP_HTTP_MAX_REQUEST_SIZE or 0)).read
        #: How complete responses are sent: compressed when MCP_HTTP_ENABLE_COMPRESSION is on.
        self.write: Writer = write_compressed if mcp_settings.MCP_HTTP_ENABLE_COMPRESSION else write
        #: Rate limits (MCP_THROTTLE_RATES), and the audit log (MCP_AUDIT_ENABLED); None when off.
        self.limiter = Limiter.from_settings(self.app)
        self.recorder = _recorder() if mcp_settings.MCP_AUDIT_ENABLED else None
        refused = None if self.recorder is None else functools.partial(self.recorder.refused, self.app)
        self.calls = Calls(
            self.app, self.gate, self.in_flight, self.session_uris, self._invoke(), lambda: self.store, refused
        )
        self.in_flight.configure(timeout(), float(mcp_settings.MCP_HTTP_SSE_KEEPALIVE))

    def _invoke(self) -> Invoke:
        """``app.call`` inside the per-call concerns that are on, innermost
        first: metrics count outcomes, rate limits refuse calls over a limit,
        the audit log records every call, refused ones included, and
        OpenTelemetry spans and times each one (refusals included)."""
        invoke: Invoke = self.app.call
        metrics = self.metrics
        if metrics is not None:
            call = invoke

            async def counted(planned: _core.Call, ctx: Context) -> bytes:
                message = await call(planned, ctx)
                metrics.call_finished(planned.kind, planned.target, message)
                return message

            invoke = counted
        if self.limiter is not None:
            invoke = self.limiter.wrap(invoke)
        if self.recorder is not None:
            invoke = self.recorder.wrap(invoke, self.app, self.in_flight)
        if self.telemetry is not None and self.telemetry.recording():
            invoke = self.telemetry.invoke(invoke)
        return invoke

    def recompose(self) -> None:
        """The per-call concerns made again (a tracer or meter provider was set since)."""
        self.calls.invoke = self._invoke()

    @property
    def store(self) -> SessionStore:
        """Where sessions live (MCP_SESSION_STORE), made on first use."""
        if self._store is None:
            self._store = make_store()
        return self._store

    def active_sessions(self) -> int | None:
        """Live sessions, when they are kept in this process (else unknown here)."""
        store = self.store
        return len(store) if isinstance(store, MemoryStore) else None

    async def hidden(self, request: Request, body: bytes) -> list[int]:
        """Handles of what the caller may not see, to leave out of list
        results; only asked for when the body can hold a list method (a
        method name is spelled out, or \\u-escaped)."""
        if b"list" in body or b"\\u" in body:
            return await self.app.hidden_for(request.scope, request.params)
        return []

    def session_opened(self) -> None:
        if self.metrics is not None:
            self.metrics.sessions_opened += 1

    def spawn(self, work: Awaitable[Any]) -> None:
        """Runs ``work`` after the response is sent, keeping a reference and logging failures."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                logger.error("MCP background work failed", exc_info=t.exception())

        task.add_done_callback(done)


def _recorder() -> Recorder | None:
    """The audit log's recorder; imported only when the audit log is on, and
    there is none without its app (``manage.py check`` says so: E304)."""
    from django.apps import apps

    if not apps.is_installed("django_mcp.audit"):
        logger.error("MCP_AUDIT_ENABLED is on but django_mcp.audit is not installed: no audit log is written")
        return None
    from ..audit.recorder import recorder

    return recorder()
