"""``Context``: what a tool, resource or prompt function can know and do
during one MCP request."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel
from pydantic_core import to_json

from . import _core
from .runtime.elicitation import ElicitationResult, SamplingResult, requested_schema
from .runtime.multiround import InputRound
from .runtime.outbound import OutboundRequests
from .tasks.running import StartTask, current_task, startable

#: Sends one JSON-RPC notification message (bytes) to the requesting client.
Emit = Callable[[bytes], Awaitable[None]]

_current: contextvars.ContextVar[Context | None] = contextvars.ContextVar("django_mcp_context", default=None)

_LOG_LEVELS = tuple(_core.LOG_LEVELS)


class App(Protocol):
    """What a Context needs of the app serving the call (``server.MCPApp``,
    which imports this module, so it is described here rather than imported)."""

    outbound: OutboundRequests

    async def read_resource(self, uri: str, *, context: Context) -> list[ResourceContents]: ...


@dataclass(frozen=True)
class ResourceContents:
    """One item of a resource's contents, as ``Context.read_resource`` returns it."""

    content: str | bytes
    mime_type: str | None


class Context:
    """Per-request access to the path parameters, request and client.

    A tool receives it by declaring a parameter annotated ``Context`` (this class,
    or the upstream ``mcp`` SDK's ``Context`` when that package is installed).
    Notifications sent through it reach the client while the tool runs when the
    response is an event stream; with JSON responses they are dropped.
    """

    __slots__ = (
        "_app",
        "_call",
        "_client",
        "_close_stream",
        "_deadline",
        "_emit",
        "_given",
        "_headers",
        "_input",
        "_meta",
        "_request",
        "_watch",
        "path_params",
        "scope",
    )

    def __init__(
        self,
        app: App,
        path_params: Mapping[str, Any],
        scope: Mapping[str, Any] | None = None,
        call: _core.Call | None = None,
        emit: Emit | None = None,
        input_round: InputRound | None = None,
        close_stream: Callable[[], Awaitable[None]] | None = None,
        *,
        request_id: str | None = None,
        progress_token: str | None = None,
        log_opt_in: bool = False,
        log_level: str | None = None,
    ) -> None:
        # Made for every call, so it only stores: what comes from the planned
        # ``call`` (request id, progress token, log opt-in) is read when asked for.
        self._app = app
        self._call = call
        self._emit = emit
        self._close_stream = close_stream
        self._request: Any = None
        self._headers: dict[str, str] | None = None
        #: (request_id, progress_token, log_opt_in, log_level) of a Context made without a call.
        self._given = None if call is not None else (request_id, progress_token, log_opt_in, log_level)
        #: Input gathered over rounds when the client cannot be asked mid-call
        #: (2026-07-28): given for a retry, else made at the first ask.
        self._input = input_round
        self._meta: dict[str, Any] | None = None
        #: The transport's registry of running calls (transport.in_flight.InFlight), which
        #: also enforces the call's deadline; None outside the transport.
        self._watch: Any = None
        self._deadline: float | None = None
        self._client: Any = None
        #: Values captured from the mount path, typed by their converters (int, UUID, str).
        self.path_params: dict[str, Any] = dict(path_params) if path_params else {}
        #: The ASGI scope of the HTTP request (None outside HTTP).
        self.scope = scope

    @property
    def meta(self) -> dict[str, Any]:
        if self._meta is None:
            self._meta = {}
        return self._meta

    @property
    def progress_token(self) -> str | None:
        """Raw JSON of the request's progress token, when the client asked for progress."""
        return self._call.progress_token if self._call is not None else self._given[1]  # type: ignore[index]

    def _log_floor(self) -> int | None:
        """2026-07-28: logs only when the request opted in, at or above its level."""
        if self._call is not None:
            opt_in, level = self._call.log_opt_in, self._call.log_level
        else:
            opt_in, level = self._given[2:]  # type: ignore[index]
        if not opt_in:
            return None
        return _LOG_LEVELS.index(level) if level in _LOG_LEVELS else len(_LOG_LEVELS)

    @property
    def client_capabilities(self) -> dict[str, Any] | None:
        """The capabilities the client declared for this request (2026-07-28
        sends them with every request), e.g. ``{"sampling": {}, "elicitation": {}}``;
        None for earlier revisions, which declare them once at initialize."""
        raw = self._call.client_capabilities if self._call is not None else None
        return json.loads(raw) if raw else None

    @property
    def request_id(self) -> str | int | None:
        """The JSON-RPC id of the request being served."""
        raw = self._call.id if self._call is not None else self._given[0]  # type: ignore[index]
        return None if raw is None else json.loads(raw)

    @property
    def headers(self) -> dict[str, str]:
        """The HTTP request headers, names lower-cased (repeated names joined by ', ')."""
        if self._headers is None:
            headers: dict[str, str] = {}
            for name, value in (self.scope or {}).get("headers", ()):
                key, text = name.decode("latin-1").lower(), value.decode("latin-1")
                headers[key] = f"{headers[key]}, {text}" if key in headers else text
            self._headers = headers
        return self._headers

    @property
    def user(self) -> Any:
        """The Django user of the request: what the ASGI scope carries
        (``scope["user"]``, set by channels' AuthMiddlewareStack or by
        ``django_mcp.test``), else an ``AnonymousUser``."""
        user = (self.scope or {}).get("user")
        if user is None:
            try:
                from django.contrib.auth.models import AnonymousUser
            except (ImportError, RuntimeError):  # django.contrib.auth not installed
                return None
            return AnonymousUser()
        return user

    @property
    def auth(self) -> Any:
        """How the request was authenticated (``django_mcp.auth.AuthInfo``:
        method, granted scopes, token claims), or None for an anonymous one."""
        return (self.scope or {}).get("mcp.auth")

    @property
    def request(self) -> Any:
        """The request as a Django ``HttpRequest`` (headers, ``COOKIES``, ``META``),
        with ``.user`` and ``.path_params`` set; its body has been consumed."""
        if self._request is None:
            from io import BytesIO

            from django.core.handlers.asgi import ASGIRequest

            scope = dict(self.scope or {"type": "http", "method": "POST", "path": "/", "headers": []})
            scope.setdefault("method", "POST")
            scope.setdefault("path", "/")
            request = ASGIRequest(scope, BytesIO(b""))
            request.user = self.user
            request.path_params = self.path_params
            self._request = request
        return self._request

    @property
    def mcp_app(self) -> Any:
        """The ``MCPApp`` serving this call."""
        return self._app

    async def close_sse_stream(self) -> None:
        """Ends the response's event stream now, while the call goes on.

        On the stateful transport (``transport_type='http'``) what the call sends
        afterwards, its result included, is kept in the session's event store,
        and the client fetches it by reconnecting with ``Last-Event-ID`` (the
        spec's SSE polling). Useful before a long wait, so no connection is held
        open. Elsewhere it does nothing.
        """
        if self._close_stream is not None:
            await self._close_stream()

    async def send_notification(self, method: str, params: Mapping[str, Any]) -> None:
        if self._emit is not None:
            await self._emit(_core.notification(method, to_json(params)))

    async def log(self, level: str, message: Any, *, logger_name: str | None = None) -> None:
        """Sends a ``notifications/message`` log entry to the client."""
        if level not in _LOG_LEVELS:
            raise ValueError(f"unknown log level {level!r}; use one of {', '.join(_LOG_LEVELS)}")
        floor = self._log_floor()
        if floor is not None and _LOG_LEVELS.index(level) < floor:
            return
        params: dict[str, Any] = {"level": level, "data": message}
        if logger_name:
            params["logger"] = logger_name
        await self.send_notification("notifications/message", params)

    async def debug(self, message: Any, *, logger_name: str | None = None) -> None:
        await self.log("debug", message, logger_name=logger_name)

    async def info(self, message: Any, *, logger_name: str | None = None) -> None:
        await self.log("info", message, logger_name=logger_name)

    async def warning(self, message: Any, *, logger_name: str | None = None) -> None:
        await self.log("warning", message, logger_name=logger_name)

    async def error(self, message: Any, *, logger_name: str | None = None) -> None:
        await self.log("error", message, logger_name=logger_name)

    async def report_progress(self, progress: float, total: float | None = None, message: str | None = None) -> None:
        """Sends ``notifications/progress``; a no-op when the client gave no progress token."""
        if self.progress_token is None or self._emit is None:
            return
        params = {"progressToken": json.loads(self.progress_token), "progress": progress}
        if total is not None:
            params["total"] = total
        if message is not None:
            params["message"] = message
        await self.send_notification("notifications/progress", params)

    async def send_request(self, method: str, params: Mapping[str, Any], *, key: str | None = None) -> Any:
        """Sends a request to the client and waits for its answer (the raw result).

        It travels on this call's event stream. Clients of 2026-07-28 cannot be
        sent requests: the call ends with an ``input_required`` result carrying
        the request under ``key`` (``input-1``, ``input-2``, ... when not given),
        and runs again when the client retries with its answer. Requests made
        concurrently (``asyncio.gather``) go to the client in one round. With a
        JSON response to an older client there is no stream, so the client
        cannot be asked anything.
        """
        if self._input is None and self._call is not None and not self._call.server_requests:
            self._input = InputRound.of(self._call)
        if self._input is not None:
            return await self._input.ask(method, dict(params), key)
        if self._emit is None:
            raise RuntimeError(
                f"{method} needs an event-stream response: the client did not accept text/event-stream "
                "or MCP_HTTP_JSON_RESPONSE is True"
            )
        outbound = self._app.outbound
        await outbound.ready()
        request_id, answer = outbound.open()
        try:
            await self._emit(_core.request(request_id, method, to_json(params)))
            return await answer
        finally:
            outbound.close(request_id)

    async def elicit(self, message: str, schema: Any, *, key: str | None = None) -> ElicitationResult[Any]:
        """Asks the user for input matching ``schema`` (a pydantic model or a JSON Schema dict).

        ``key`` names the request in a 2026-07-28 ``input_required`` result."""
        result = await self.send_request(
            "elicitation/create", {"message": message, "requestedSchema": requested_schema(schema)}, key=key
        )
        action = result.get("action", "cancel")
        content = result.get("content") or {}
        data = None
        if action == "accept" and isinstance(schema, type) and issubclass(schema, BaseModel):
            data = schema.model_validate(content)
        return ElicitationResult(action=action, content=content, data=data)

    async def sample(
        self,
        messages: str | Sequence[Mapping[str, Any]],
        *,
        max_tokens: int = 512,
        system_prompt: str | None = None,
        temperature: float | None = None,
        model_preferences: Mapping[str, Any] | None = None,
        stop_sequences: Sequence[str] | None = None,
        include_context: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        key: str | None = None,
    ) -> SamplingResult:
        """Asks the client's language model for a completion (``sampling/createMessage``).

        ``messages`` is a user prompt, or a list of ``{"role": ..., "content": ...}``
        messages. ``key`` names the request in a 2026-07-28 ``input_required`` result."""
        if isinstance(messages, str):
            messages = [{"role": "user", "content": {"type": "text", "text": messages}}]
        params: dict[str, Any] = {"messages": list(messages), "maxTokens": max_tokens}
        for name, value in (
            ("systemPrompt", system_prompt),
            ("temperature", temperature),
            ("modelPreferences", model_preferences),
            ("stopSequences", stop_sequences),
            ("includeContext", include_context),
            ("metadata", metadata),
        ):
            if value is not None:
                params[name] = value
        result = await self.send_request("sampling/createMessage", params, key=key)
        return SamplingResult(
            role=result.get("role", "assistant"),
            content=result.get("content", {}),
            model=result.get("model", ""),
            stop_reason=result.get("stopReason"),
            raw=result,
        )

    async def list_roots(self, *, key: str | None = None) -> list[dict[str, Any]]:
        """The client's roots (``roots/list``): dicts with ``uri`` and maybe ``name``.

        ``key`` names the request in a 2026-07-28 ``input_required`` result."""
        return (await self.send_request("roots/list", {}, key=key)).get("roots", [])

    @property
    def task_id(self) -> str | None:
        """The id of the task this call runs as (the tasks extension), else None."""
        return current_task.get()

    async def start_task(self) -> None:
        """Goes on as a task: for a tool registered with ``task_starts="when_asked"``,
        the request is answered with a task, which runs the tool again from the
        start with the input gathered so far; in the task this returns at once.

        It also returns at once where no task can be made (the client did not
        declare the extension): the tool then finishes within the request."""
        if current_task.get() is None and startable.get():
            raise StartTask

    async def read_resource(self, uri: str) -> list[ResourceContents]:
        """Reads one of this server's resources, as a client's resources/read would."""
        return await self._app.read_resource(str(uri), context=self)

    def __repr__(self) -> str:
        return f"<Context request_id={self.request_id!r} path_params={self.path_params!r}>"


def get_context() -> Context:
    """The Context of the MCP request being served (for helpers deep in a call)."""
    ctx = _current.get()
    if ctx is None:
        raise LookupError("get_context() was called outside an MCP request")
    return ctx


def is_context_annotation(annotation: Any) -> bool:
    """Our Context, a subclass, Optional[Context], or the upstream SDK's Context class.

    The upstream check goes by module and name so that ``mcp`` need not be installed.
    """
    args = getattr(annotation, "__args__", None)
    if args and type(None) in args:
        return any(is_context_annotation(a) for a in args if a is not type(None))
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and getattr(annotation, "__metadata__", None) is not None:
        return is_context_annotation(origin)
    if not isinstance(annotation, type):
        return False
    if issubclass(annotation, Context):
        return True
    module = getattr(annotation, "__module__", "") or ""
    return annotation.__name__ == "Context" and module.startswith(("mcp.server.fastmcp", "mcp.server.mcpserver"))
