"""``MCPTestClient``: call your tools, resources and prompts from your own
Django tests, in-process, the way DRF's ``APIClient`` calls API views.

    from django.test import TestCase
    from django_mcp.test import MCPTestClient

    class AddTests(TestCase):
        def test_add(self):
            client = MCPTestClient(path_params={"user_uuid": "abc"})
            result = client.call_tool("add", {"a": 1, "b": 2})
            self.assertEqual(result.structured_content, {"result": 3})

Requests go through the real protocol engine and the same code that serves
HTTP (argument validation, content conversion, errors), without a server or
a socket. Sync functions run in the test's own thread, so they see the data
of the test's transaction.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync

from . import _core
from .runtime.invoke import inline_sync
from .server import MCPApp
from .server import mcp_app as default_app
from .transport.io import Request
from .transport.services import Services
from .transport.stateless import Stateless

__all__ = ["MCPError", "MCPTestClient", "PromptResult", "ToolResult"]


class MCPError(Exception):
    """The server answered with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} (JSON-RPC error {code})")
        self.code, self.message, self.data = code, message, data


@dataclass
class ToolResult:
    """A tools/call result."""

    content: list[dict[str, Any]]
    structured_content: Any
    is_error: bool
    #: Notifications the call sent before its result (log messages, progress).
    notifications: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The text of every text item, joined by newlines."""
        return "\n".join(item["text"] for item in self.content if item.get("type") == "text")


@dataclass
class PromptResult:
    description: str | None
    messages: list[dict[str, Any]]
    raw: dict[str, Any] = field(default_factory=dict)


#: The first revision whose requests carry their own ``_meta`` envelope.
_ENVELOPE_REVISION = "2026-07-28"


class MCPTestClient:
    """An MCP client for tests. Every method has an ``a``-prefixed async twin
    (``acall_tool``...) for async tests.

    ``path_params`` is what the functions see as ``ctx.path_params``; ``user``
    is what they see as ``ctx.user``; ``scopes``, when given, are the scopes of
    the caller's token (as if it came with one); ``headers`` are extra request
    headers. Access rules (``permissions``, ``scopes``, ``allow``) apply as over
    HTTP: a refused call raises MCPError.

    With ``protocol_version="2026-07-28"`` each request carries the revision's
    ``_meta`` envelope, declaring ``client_capabilities`` (e.g.
    ``{"elicitation": {}}``), and its ``Mcp-Method`` / ``Mcp-Name`` headers; a
    call that asks for input then returns its ``input_required`` result.
    """

    def __init__(
        self,
        path_params: Mapping[str, Any] | None = None,
        *,
        user: Any = None,
        headers: Mapping[str, str] | None = None,
        app: MCPApp | None = None,
        protocol_version: str = "2025-11-25",
        scopes: Sequence[str] | None = None,
        client_capabilities: Mapping[str, Any] | None = None,
    ) -> None:
        self.path_params = dict(path_params or {})
        self.user = user
        self.headers = dict(headers or {})
        self.protocol_version = protocol_version
        self.scopes = frozenset(scopes) if scopes is not None else None
        self.client_capabilities = dict(client_capabilities or {})
        #: The stateless endpoint without the pipeline's stages: the caller is given, not authenticated.
        self._endpoint = Stateless(Services(app or default_app)).serve
        self._ids = itertools.count(1)

    # The raw exchange.

    async def arequest(
        self, method: str, params: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """One JSON-RPC request: ``(result, notifications)``; raises MCPError for an error."""
        sent_params: dict[str, Any] = dict(params or {})
        message = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": sent_params}
        envelope = self._envelope(method, sent_params) if self.protocol_version >= _ENVELOPE_REVISION else []
        headers = [
            *envelope,
            (b"content-type", b"application/json"),
            (b"accept", b"application/json, text/event-stream"),
            (b"mcp-protocol-version", self.protocol_version.encode()),
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()),
        ]
        scope: dict[str, Any] = {
            "type": "http",
            "method": "POST",
            "path": "/mcp/http",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 0),
            "server": ("testserver", 80),
        }
        if self.user is not None:
            scope["user"] = self.user
        if self.scopes is not None:
            from .auth.authentication import AuthInfo

            scope["mcp.auth"] = AuthInfo("test", self.scopes)
        body = json.dumps(message).encode()
        sent = False
        # The client stays connected until the whole response is in: 2026-07-28
        # takes a closed connection for a cancellation.
        answered = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await answered.wait()
            return {"type": "http.disconnect"}

        status = 0
        chunks: list[bytes] = []

        async def send(event: MutableMapping[str, Any]) -> None:
            nonlocal status
            if event["type"] == "http.response.start":
                status = event["status"]
            else:
                chunks.append(event.get("body", b""))
                if not event.get("more_body"):
                    answered.set()

        token = inline_sync.set(True)
        try:
            await self._endpoint(Request(scope, receive, send, "/mcp/http", "/http", dict(self.path_params)))
        finally:
            inline_sync.reset(token)
        messages = _messages(b"".join(chunks))
        final = [m for m in messages if "id" in m and ("result" in m or "error" in m)]
        if not final:
            raise MCPError(-32603, f"no response to {method} (HTTP {status})")
        answer = final[-1]
        if "error" in answer:
            error = answer["error"]
            raise MCPError(error.get("code", 0), error.get("message", ""), error.get("data"))
        return answer["result"], [m for m in messages if "id" not in m]

    def _envelope(self, method: str, params: dict[str, Any]) -> list[tuple[bytes, bytes]]:
        """Adds the per-request ``_meta`` of revision 2026-07-28 to ``params``;
        returns the headers that mirror the body."""
        meta = {
            "io.modelcontextprotocol/protocolVersion": self.protocol_version,
            "io.modelcontextprotocol/clientCapabilities": self.client_capabilities,
            **(params.get("_meta") or {}),
        }
        params["_meta"] = meta
        headers = [(b"mcp-method", method.encode())]
        field = {"resources/read": "uri", "tasks/get": "taskId", "tasks/update": "taskId", "tasks/cancel": "taskId"}
        name = params.get(field.get(method, "name"))
        if isinstance(name, str) and method in ("tools/call", "prompts/get", *field):
            if not name.isascii():
                name = f"=?base64?{base64.b64encode(name.encode()).decode()}?="
            headers.append((b"mcp-name", name.encode()))
        return headers

    # Tools, resources, prompts.

    async def acall_tool(
        self, name: str, arguments: Mapping[str, Any] | None = None, *, progress: bool = True
    ) -> ToolResult:
        params: dict[str, Any] = {"name": name, "arguments": dict(arguments or {})}
        if progress:
            params["_meta"] = {"progressToken": f"test-{name}"}
        result, notes = await self.arequest("tools/call", params)
        return ToolResult(
            result.get("content", []), result.get("structuredContent"), bool(result.get("isError")), notes, result
        )

    async def aread_resource(self, uri: str) -> list[dict[str, Any]]:
        """The resource's contents items (``text`` or ``blob``, with ``uri`` and ``mimeType``)."""
        result, _ = await self.arequest("resources/read", {"uri": uri})
        return list(result["contents"])

    async def aget_prompt(self, name: str, arguments: Mapping[str, str] | None = None) -> PromptResult:
        result, _ = await self.arequest("prompts/get", {"name": name, "arguments": dict(arguments or {})})
        return PromptResult(result.get("description"), list(result["messages"]), result)

    async def _all(self, method: str, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            result, _ = await self.arequest(method, {"cursor": cursor} if cursor else {})
            items += result[key]
            cursor = result.get("nextCursor")
            if not cursor:
                return items

    async def alist_tools(self) -> list[dict[str, Any]]:
        return await self._all("tools/list", "tools")

    async def alist_resources(self) -> list[dict[str, Any]]:
        return await self._all("resources/list", "resources")

    async def alist_resource_templates(self) -> list[dict[str, Any]]:
        return await self._all("resources/templates/list", "resourceTemplates")

    async def alist_prompts(self) -> list[dict[str, Any]]:
        return await self._all("prompts/list", "prompts")

    def request(
        self, method: str, params: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return async_to_sync(self.arequest)(method, params)

    def call_tool(self, name: str, arguments: Mapping[str, Any] | None = None, *, progress: bool = True) -> ToolResult:
        return async_to_sync(self.acall_tool)(name, arguments, progress=progress)

    def read_resource(self, uri: str) -> list[dict[str, Any]]:
        return async_to_sync(self.aread_resource)(uri)

    def get_prompt(self, name: str, arguments: Mapping[str, str] | None = None) -> PromptResult:
        return async_to_sync(self.aget_prompt)(name, arguments)

    def list_tools(self) -> list[dict[str, Any]]:
        return async_to_sync(self.alist_tools)()

    def list_resources(self) -> list[dict[str, Any]]:
        return async_to_sync(self.alist_resources)()

    def list_resource_templates(self) -> list[dict[str, Any]]:
        return async_to_sync(self.alist_resource_templates)()

    def list_prompts(self) -> list[dict[str, Any]]:
        return async_to_sync(self.alist_prompts)()


def _messages(body: bytes) -> list[dict[str, Any]]:
    """The JSON-RPC messages of a JSON body or an event stream."""
    text = body.decode()
    if text.lstrip().startswith(("{", "[")):
        parsed = json.loads(text)
        return parsed if isinstance(parsed, list) else [parsed]
    messages = []
    for block in text.split("\n\n"):
        data = [line[5:].lstrip() for line in block.split("\n") if line.startswith("data:")]
        if data and "".join(data).strip():
            messages.append(json.loads("\n".join(data)))
    return messages


# The engine's version list, for users who pin one.
SUPPORTED_PROTOCOL_VERSIONS = tuple(_core.SUPPORTED_PROTOCOL_VERSIONS)
