"""The body stage: reads a POST body whole, within MCP_HTTP_MAX_REQUEST_SIZE."""

from __future__ import annotations

from collections.abc import Awaitable

from .. import _core
from .io import Message, Request, respond


class BodyReader:
    """Reads request bodies for one mount; ``limit`` is MCP_HTTP_MAX_REQUEST_SIZE (0: none)."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        self.limit = limit

    async def read(self, request: Request) -> bytes | None:
        """The POST body (b"" for other methods); None when the request was
        answered already (too large) or the client went away."""
        if request.scope["method"] != "POST":
            return b""
        limit = self.limit
        if limit and _core.declares_more_than(request.scope["headers"], limit):
            # Refused on the declared size: not one byte of the body is read.
            await self._refuse(request)
            return None
        message = await request.receive()
        body: bytes = message.get("body", b"")
        if message["type"] == "http.request" and not message.get("more_body", False):
            if limit and len(body) > limit:
                await self._refuse(request)
                return None
            return body  # the whole body came in one message, the usual case
        return await self._rest(request, message)

    async def _rest(self, request: Request, first: Message) -> bytes | None:
        """The body whose first ASGI message is ``first``, read to its end."""
        chunks: list[bytes] = []
        size = 0
        message = first
        while True:
            if message["type"] != "http.request":
                return None  # http.disconnect: the client left
            chunk = message.get("body", b"")
            size += len(chunk)
            if self.limit and size > self.limit:
                await self._refuse(request)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
            message = await request.receive()

    def _refuse(self, request: Request) -> Awaitable[None]:
        return respond(request.send, 413, [(b"content-type", b"application/json")], too_large(self.limit))


def too_large(limit: int) -> bytes:
    """The 413 answer's JSON-RPC error."""
    return (
        b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Payload Too Large: the request body exceeds '
        + str(limit).encode()
        + b' bytes (MCP_HTTP_MAX_REQUEST_SIZE)"}}'
    )
