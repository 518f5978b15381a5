"""The calls stage: runs the user functions a plan names, each with its
Context, registered for cancellation and the request timeout; applies what a
POST says about earlier requests (cancellations, the client's answers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from time import monotonic
from typing import TYPE_CHECKING

from .. import _core
from ..auth.gate import caller
from ..conf import mcp_settings
from ..context import Context
from ..runtime.multiround import InputRound, InvalidRequestState
from .in_flight import InFlight
from .io import Request
from .sessions import SessionStore, StoreUnavailable

if TYPE_CHECKING:
    from ..auth.gate import Gate
    from ..server import MCPApp

logger = logging.getLogger("django_mcp")

#: Runs one planned call with its Context; awaiting it gives the JSON-RPC
#: response message. ``MCPApp.call``, or that wrapped by a stage (metrics).
Invoke = Callable[[_core.Call, Context], Awaitable[bytes]]
#: Sends one message on the request's event stream (None: a JSON answer).
Emit = Callable[[bytes], Awaitable[None]]
#: Told of a request's calls refused before they ran: (plan, request, the 401 / 403).
OnRefused = Callable[[_core.Plan, Request, _core.Response], None]


class Calls:
    """Runs one mount's calls."""

    def __init__(
        self,
        app: MCPApp,
        gate: Gate,
        in_flight: InFlight,
        session_uris: dict[str, set[str]],
        invoke: Invoke,
        store: Callable[[], SessionStore],
        on_refused: OnRefused | None = None,
    ) -> None:
        self.app = app
        self.gate = gate
        self.in_flight = in_flight
        #: Resources each session subscribed to (resources/subscribe), by session id.
        self.session_uris = session_uris
        self.invoke = invoke
        #: The mount's session store (made on first use).
        self.store = store
        #: Told of the calls refused before they ran (the audit log), when set.
        self.on_refused = on_refused

    def admit(self, plan: _core.Plan, request: Request, owner: Hashable | None = None) -> _core.Response | None:
        """What comes before the plan's calls run: 401 / 403 when the caller may
        not make them (``refused``); else what the POST says about earlier
        requests is applied (``settle``) and None returned. ``owner``: the
        session, or None for the request's caller (``auth.gate.caller``)."""
        if self.app.has_access_rules:  # else nothing to refuse, and no call to ask
            refused = self.refused(plan, request)
            if refused is not None:
                return refused
        if plan.cancels or plan.replies:
            self.settle(plan, caller(request.scope) if owner is None else owner)
        return None

    def refused(self, plan: _core.Plan, request: Request) -> _core.Response | None:
        """401 / 403 for planned calls the caller may not make (see Gate.check_calls)."""
        if not self.app.has_access_rules or not plan.calls:
            return None
        response = self.gate.check_calls(plan, request.scope, request.scope.get("mcp.endpoint", ""))
        if response is not None and self.on_refused is not None:
            self.on_refused(plan, request, response)
        return response

    def settle(self, plan: _core.Plan, owner: Hashable) -> None:
        """Applies what a POST says about earlier requests: cancellations of the
        owner's (session or caller) calls, and the client's answers to ours."""
        for request_id in plan.cancels:
            if isinstance(owner, str):  # a session, whose calls may run in another process
                self.in_flight.cancel_anywhere(owner, request_id)
            else:
                self.in_flight.cancel((owner, request_id))
        for request_id, is_error, raw in plan.replies:
            if not self.app.outbound.resolve(request_id, is_error, raw):
                logger.info("Ignored a client response to unknown request id %s", request_id)

    async def run(
        self,
        call: _core.Call,
        request: Request,
        owner: Hashable | None,
        emit: Emit | None,
        close_stream: Callable[[], Awaitable[None]] | None = None,
    ) -> bytes:
        """The response message of ``call``, made for ``owner`` (the session id,
        or None for the request's caller); b"" for a call its client cancelled on a stream."""
        if call.kind in ("subscribe", "unsubscribe"):
            # Only planned inside a session: ``owner`` is the session id.
            uris = self.session_uris.setdefault(owner, set())
            (uris.add if call.kind == "subscribe" else uris.discard)(call.target)
            try:
                # Where the process holding the session's stream sees it.
                await self.store().subscribe(str(owner), call.target, call.kind == "subscribe")
            except StoreUnavailable as e:
                logger.error("MCP session store unavailable: %s", e)
                return call.error(_core.INTERNAL_ERROR, "The session store cannot be reached; retry shortly")
            return call.result(b"{}", "complete")
        input_round = None
        if call.resumes:
            # A retry with the client's answers: checked before the call runs.
            # Other calls of this revision get their round when they first ask.
            try:
                input_round = InputRound.of(call)
            except InvalidRequestState as e:
                return call.error(_core.INVALID_PARAMS, f"Invalid params: {e}")
        ctx = Context(self.app, request.params, request.scope, call, emit, input_round, close_stream)
        ctx._client = owner
        in_flight = self.in_flight
        task = asyncio.current_task()
        if task is not None:
            # Registered for notifications/cancelled and for the deadline sweep.
            in_flight.running[task] = ctx
            ctx._watch = in_flight
            if in_flight.timeout is not None:
                now = monotonic()
                ctx._deadline = now + in_flight.timeout
                if now - in_flight.swept > in_flight.patience:
                    in_flight.start_sweeping()
        try:
            return await self.invoke(call, ctx)
        except asyncio.CancelledError:
            if in_flight.expired(task):
                # Past its deadline outside the user function (an access check, a completion handler).
                logger.warning("MCP request %s timed out", call.id)
                timeout = mcp_settings.MCP_HTTP_REQUEST_TIMEOUT
                return call.error(_core.INTERNAL_ERROR, f"Request timed out after {timeout} seconds")
            if task is None or task not in in_flight.cancelled:
                raise
            in_flight.cancelled.discard(task)
            if hasattr(task, "uncancel"):
                task.uncancel()
            logger.info("MCP request %s was cancelled by the client", call.id)
            # A cancelled request gets no response on a stream; a JSON body still needs one.
            return b"" if emit is not None else call.error(_core.REQUEST_CANCELLED, "Request cancelled")
        finally:
            if task is not None:
                del in_flight.running[task]
                if in_flight.timed_out or in_flight.cancelled:
                    # A call that swallowed its cancellation leaves no mark behind.
                    in_flight.timed_out.discard(task)
                    in_flight.cancelled.discard(task)

    async def run_all(self, plan: _core.Plan, request: Request, owner: Hashable | None) -> list[bytes]:
        """The response messages of all the plan's calls, one after another, for a JSON answer."""
        messages = []
        for call in plan.calls:  # a loop, not an async comprehension: one coroutine fewer per request
            messages.append(await self.run(call, request, owner, None))
        return messages
