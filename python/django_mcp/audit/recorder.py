"""Writing the audit log without slowing the calls down.

A call only notes what it needs (``Entry``: the planned call, the request's
scope, its answer, the times) and puts it in a bounded queue. One thread per
process takes what has gathered, turns it into rows (outcome, caller,
redacted arguments) and saves them with one ``bulk_create``. When the
database fails, the rows of that batch are dropped with a warning and the
calls are not affected; when the queue is full (the database far slower than
the calls), new entries are dropped the same way.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Model
from pydantic_core import from_json

from .. import _core
from ..conf import mcp_settings, on_reload
from .redaction import redact_arguments

if TYPE_CHECKING:
    from ..context import Context
    from ..server import Function, MCPApp
    from ..transport.calls import Invoke
    from ..transport.in_flight import InFlight
    from ..transport.io import Request

logger = logging.getLogger("django_mcp")

#: Rows saved by one bulk_create at most.
BATCH_SIZE = 1000

#: Seconds the writer lets entries gather after the first one arrives, so
#: that a busy server writes them in few transactions (a commit per batch,
#: not per call); also about how late a row appears.
LINGER = 0.05

#: Seconds between two warnings about dropped entries, so a failing database
#: does not flood the log with one line per call.
WARN_EVERY = 10.0

#: Outcomes decided when the call ends; the others are read from its answer.
TIMED_OUT, CANCELLED, REFUSED, ERROR = "timed_out", "cancelled", "refused", "error"

#: Where the access check of MCPApp._call_checked puts a refusal's reason.
_REFUSED_PREFIX = "Forbidden:"


class Entry:
    """What the audit log needs of one call, noted while it is served.

    It keeps the few values of the request's scope that the row needs, not the
    scope itself: an entry waits in the queue for a while, long enough for the
    garbage collector to move what it holds to its oldest generation, and a
    scope per call (its dictionaries, lists and tuples) would make the full
    collections, which look at every object of the process, much more frequent."""

    __slots__ = (
        "address",
        "auth",
        "call",
        "duration",
        "ended",
        "error",
        "function",
        "late",
        "message",
        "path",
        "started",
        "user",
        "user_agent",
    )

    def __init__(
        self,
        call: _core.Call,
        function: Function,
        scope: Mapping[str, Any] | None,
        started: float,
        duration: float,
        message: bytes,
        ended: str | None = None,
        late: bool = False,
        error: str = "",
    ) -> None:
        self.call = call
        self.function = function
        scope = scope or {}
        self.user: Any = scope.get("user")
        self.auth: Any = scope.get("mcp.auth")
        address = scope.get("client")
        self.address = str(address[0]) if address else ""
        self.user_agent = _header(scope, b"user-agent")
        self.path = str(scope.get("path", ""))
        #: Wall-clock seconds when the call started, and how long it ran.
        self.started = started
        self.duration = duration
        #: The JSON-RPC answer (b"" when the call was cancelled).
        self.message = message
        #: An outcome known without the answer (timed out, cancelled, refused, error), and its error text.
        self.ended = ended
        self.error = error
        #: The call ended past its deadline: an error answer means it timed out.
        self.late = late

    def row(self) -> dict[str, Any]:
        """The CallRecord's values, by field attribute name."""
        call, function, user, auth = self.call, self.function, self.user, self.auth
        outcome, error = self.outcome()
        claims: Mapping[str, Any] = getattr(auth, "claims", None) or {}
        signed_in = user is not None and bool(getattr(user, "is_authenticated", False))
        method = getattr(auth, "method", "") if signed_in else ""
        client_info = _json_object(call.client_info)
        return {
            "called_at": datetime.fromtimestamp(self.started, timezone.utc),
            "duration_ms": round(self.duration * 1000, 3),
            "kind": function.kind,
            "name": function.key[:255],
            "uri": call.target[:2000] if function.kind == "resource" and call.target != function.key else "",
            "outcome": outcome,
            "error": error[:2000],
            "user_id": getattr(user, "pk", None) if signed_in else None,
            "username": user.get_username()[:255] if signed_in else "",
            "auth_method": (method or "")[:16],
            "token": str(claims.get("token", ""))[:16] if method == "token" else "",
            "oauth_client": _oauth_client(method, claims)[:255],
            "client_address": self.address[:64],
            "client_name": str(client_info.get("name", ""))[:255],
            "client_version": str(client_info.get("version", ""))[:64],
            "user_agent": self.user_agent[:255],
            "protocol_version": call.protocol_version[:16],
            "request_id": call.id[:64],
            "path": self.path[:255],
            "arguments": self.arguments(),
        }

    def outcome(self) -> tuple[str, str]:
        """(outcome, what the caller was told)."""
        if self.ended is not None:
            return self.ended, self.error
        message = self.message
        # Most answers are results without isError: known without parsing them
        # (inside JSON strings these keys' quotes would be escaped).
        result_at, error_at = message.find(b'"result":'), message.find(b'"error":')
        if result_at != -1 and not 0 <= error_at < result_at and b'"isError":true' not in message:
            return "ok", ""
        answer = _json_object(message)
        error = answer.get("error")
        if isinstance(error, dict):
            text = str(error.get("message", ""))
            from ..throttling import RATE_LIMITED

            if error.get("code") == RATE_LIMITED:
                return "rate_limited", text
            if error.get("code") == _core.INVALID_PARAMS and text.startswith(_REFUSED_PREFIX):
                return REFUSED, text
            return (TIMED_OUT if self.late else ERROR), text
        result = answer.get("result")
        if isinstance(result, dict) and result.get("isError") is True:
            texts = [c.get("text", "") for c in result.get("content") or () if isinstance(c, dict)]
            return (TIMED_OUT if self.late else ERROR), " ".join(t for t in texts if isinstance(t, str))
        return "ok", ""

    def arguments(self) -> Any:
        call, function = self.call, self.function
        if function.kind == "resource":
            arguments: Any = dict(call.variables)
        else:
            arguments = _json_object(call.arguments) if call.arguments else {}
        return redact_arguments(arguments, _redacted_names(function.kind, function.key, function.fn)) or None


@functools.lru_cache(maxsize=1024)
def _redacted_names(kind: str, key: str, fn: Callable[..., Any]) -> frozenset[str]:
    """The arguments of one function that are always redacted: MCP_AUDIT_REDACT's and ``@redact``'s."""
    names = set(mcp_settings.MCP_AUDIT_REDACT.get(f"{kind}:{key}", ()))
    names.update(getattr(fn, "_django_mcp_redact", ()))
    return frozenset(names)


on_reload(_redacted_names.cache_clear)


def _json_object(text: str | bytes | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = from_json(text)  # several times faster than json.loads
    except ValueError:
        try:
            value = json.loads(text)  # what from_json refuses and Python reads (a lone surrogate)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _oauth_client(method: str, claims: Mapping[str, Any]) -> str:
    if method == "oauth2":
        return str(claims.get("application") or "")
    if method == "jwt":
        return str(claims.get("client_id") or claims.get("azp") or "")
    return ""


def _header(scope: Mapping[str, Any], name: bytes) -> str:
    value = _core.header(scope.get("headers", ()), name)
    return value.decode("latin-1") if value is not None else ""


class Insert:
    """One INSERT statement for many rows of ``model``, made once per database.

    ``bulk_create`` would prepare every value of every row through the ORM's
    compiler, which costs three times the insert itself; here only the values
    that need it (the timestamp, the JSON) go through their field, the
    strings and numbers are passed as they are."""

    def __init__(self, model: type[Model], connection: Any) -> None:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"
        self.fields = [(f.attname, _preparer(f, connection)) for f in fields]

    def params(self, row: dict[str, Any]) -> list[Any]:
        return [row[name] if prepare is None else prepare(row[name]) for name, prepare in self.fields]


def _preparer(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any] | None:
    """How a value of ``field`` is made ready for ``connection``; None: as it is."""
    if isinstance(field, (models.CharField, models.TextField, models.FloatField, models.ForeignKey)):
        return None
    if isinstance(field, models.DateTimeField):
        # The values are aware datetimes: the field's own preparation (of naive
        # values, of expressions) would only come to the database's adapter.
        return connection.ops.adapt_datetimefield_value
    return functools.partial(field.get_db_prep_save, connection=connection)


class Recorder:
    """The audit log's queue and the thread that writes it.

    The queue is a deque: appending to it is atomic, so a call adds its entry
    without taking a lock, and wakes the writer only when it is waiting."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pending: collections.deque[Entry] = collections.deque()
        #: Entries added, and entries written or dropped, so far (for ``flush``).
        self.added = self.done = 0
        self.thread: threading.Thread | None = None
        self.waiting = False
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self.dropped = 0
        self._warned = 0.0
        self._inserts: dict[str, Insert] = {}

    # -- on the calls' side ------------------------------------------------

    def add(self, entry: Entry) -> None:
        """Queues ``entry``; never blocks (a full queue drops it)."""
        if len(self.pending) >= self.size:
            self._dropped(1, "the queue is full (MCP_AUDIT_QUEUE_SIZE)")
            return
        self.pending.append(entry)
        self.added += 1
        if self.waiting:
            self.waiting = False
            self.wake.set()
        elif self.thread is None:
            self._start()

    def wrap(self, invoke: Invoke, app: MCPApp, in_flight: InFlight) -> Invoke:
        """``invoke``, noting each tool, resource and prompt call it runs."""
        function_for, add = app.function_for, self.add

        async def audited(planned: _core.Call, ctx: Context) -> bytes:
            function = function_for(planned)
            if function is None:  # a completion
                return await invoke(planned, ctx)
            started, clock = time.time(), time.monotonic()
            try:
                message = await invoke(planned, ctx)
            except asyncio.CancelledError:
                ended = TIMED_OUT if asyncio.current_task() in in_flight.timed_out else CANCELLED
                add(Entry(planned, function, ctx.scope, started, time.monotonic() - clock, b"", ended))
                raise
            except Exception as e:  # not an answer: the transport's own error, which it reports
                add(Entry(planned, function, ctx.scope, started, time.monotonic() - clock, b"", ERROR, error=repr(e)))
                raise
            now, deadline = time.monotonic(), ctx._deadline
            late = deadline is not None and now >= deadline
            add(Entry(planned, function, ctx.scope, started, now - clock, message, None, late))
            return message

        return audited

    def refused(self, app: MCPApp, plan: _core.Plan, request: Request, response: _core.Response) -> None:
        """Notes the calls of a request refused before they ran (401, 403)."""
        challenge = next((v for k, v in response.headers if k == b"www-authenticate"), b"")
        why = f"HTTP {response.status}: {challenge.decode('latin-1')}".rstrip(": ")
        now = time.time()
        for call in plan.calls:
            function = app.function_for(call)
            if function is not None:
                self.add(Entry(call, function, request.scope, now, 0.0, b"", REFUSED, error=why))

    # -- in the writer thread ----------------------------------------------

    def _start(self) -> None:
        with self.lock:
            if self.thread is None:
                thread = threading.Thread(target=self._run, name="django-mcp-audit", daemon=True)
                thread.start()
                self.thread = thread

    def _run(self) -> None:
        pending = self.pending
        while True:
            # Said before looking, so that an entry added meanwhile wakes us.
            self.waiting = True
            if not pending:
                self.wake.wait()  # no polling while there is nothing to write
            self.waiting = False
            self.wake.clear()
            if len(pending) < BATCH_SIZE:
                time.sleep(LINGER)
            batch = [pending.popleft() for _ in range(min(len(pending), BATCH_SIZE))]
            try:
                self.write(batch)
            finally:
                self.done += len(batch)

    def write(self, batch: list[Entry]) -> None:
        """Saves the rows of ``batch``; a failure is logged, never raised."""
        from django.db import connections, router, transaction

        from .models import CallRecord

        rows = []
        for entry in batch:
            try:
                rows.append(entry.row())
            except Exception:
                logger.warning("MCP audit log: a call could not be recorded", exc_info=True)
        if not rows:
            return
        alias = router.db_for_write(CallRecord)
        try:
            insert = self._inserts.get(alias)
            if insert is None:
                insert = self._inserts[alias] = Insert(CallRecord, connections[alias])
            with transaction.atomic(using=alias, savepoint=False), connections[alias].cursor() as cursor:
                cursor.executemany(insert.sql, [insert.params(row) for row in rows])
        except Exception as e:
            self._dropped(len(rows), f"the database failed ({type(e).__name__}: {e})")
            # A broken connection is opened afresh for the next batch.
            connections[alias].close()

    def _dropped(self, count: int, why: str) -> None:
        self.dropped += count
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY:
            self._warned = now
            logger.warning("MCP audit log: %d call record(s) were not written: %s", self.dropped, why)
            self.dropped = 0

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until every entry queued so far is written (or dropped); False after ``timeout`` seconds."""
        target, deadline = self.added, time.monotonic() + timeout
        while self.done < target:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True


_recorder: Recorder | None = None


def recorder() -> Recorder:
    """This process's Recorder (one for all mounts), made on first use."""
    global _recorder
    if _recorder is None:
        _recorder = Recorder(int(mcp_settings.MCP_AUDIT_QUEUE_SIZE))
    return _recorder


def _flush_at_exit() -> None:
    if _recorder is not None and _recorder.thread is not None:
        _recorder.flush(timeout=5.0)


atexit.register(_flush_at_exit)
