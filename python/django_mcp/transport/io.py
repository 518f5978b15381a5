"""ASGI's types, the request as the pipeline's stages see it, and the writing of complete responses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .. import _core

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]


class Request:
    """One HTTP request to an MCP endpoint, as it passes the pipeline's stages.

    A stage that needs to see what is sent (CORS headers, the status for
    metrics) replaces ``send`` with a wrapper before handing the request on."""

    __slots__ = ("endpoint", "params", "path", "receive", "scope", "send")

    def __init__(self, scope: Scope, receive: Receive, send: Send, path: str, endpoint: str, params: dict[str, Any]):
        self.scope = scope
        self.receive = receive
        self.send = send
        #: The endpoint's path below the root path, e.g. ``/mcp/42/http``.
        self.path = path
        #: The endpoint's suffix, which ends ``path`` (``/http``, ``/sse``, ``/messages/``).
        self.endpoint = endpoint
        #: Values captured by the mount path's converters (``ctx.path_params``).
        self.params = params

    @property
    def base(self) -> str:
        """The mount path as requested (``/mcp/42``): sessions remember it."""
        return self.path[: len(self.path) - len(self.endpoint)]

    def header(self, name: bytes) -> str | None:
        """The first value of the request header ``name`` (lower-case), or None."""
        value = _core.header(self.scope["headers"], name)
        return None if value is None else value.decode("latin-1")


async def respond(send: Send, status: int, headers: Headers, body: bytes) -> None:
    """One complete response. Its length is declared, so no chunked framing."""
    headers = [*headers, (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


#: How a transport sends a complete response: ``write(request, status,
#: headers, body)``. The mount picks one at start-up (plain, or compressing
#: large bodies), so the transports never ask whether compression is on.
Writer = Callable[[Request, int, Headers, bytes], Awaitable[None]]


def write(request: Request, status: int, headers: Headers, body: bytes) -> Awaitable[None]:
    """The plain Writer."""
    return respond(request.send, status, headers, body)
