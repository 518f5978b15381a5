"""``manage.py mcp_stdio``: the same MCP server over stdio, for desktop clients
that start a local process (newline-delimited JSON-RPC on stdin/stdout)."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from typing import Any

from django.core.management.base import BaseCommand

from django_mcp import _core
from django_mcp.context import Context
from django_mcp.server import mcp_app


class StdioServer:
    """Feeds stdin lines to the engine and writes its answers to stdout."""

    def __init__(self) -> None:
        self.protocol_version: str | None = None
        self.out_lock = asyncio.Lock()
        self.tasks: set[asyncio.Task[None]] = set()

    async def write(self, message: bytes) -> None:
        async with self.out_lock:
            sys.stdout.buffer.write(message + b"\n")
            sys.stdout.buffer.flush()

    def headers(self) -> list[tuple[bytes, bytes]]:
        headers = [(b"content-type", b"application/json"), (b"accept", b"application/json")]
        if self.protocol_version:
            headers.append((b"mcp-protocol-version", self.protocol_version.encode()))
        return headers

    async def handle(self, line: bytes) -> None:
        plan = mcp_app.engine.handle("POST", self.headers(), line)
        if isinstance(plan, _core.Response):
            if plan.body:
                self.remember_version(plan.body)
                await self.write(plan.body)
            return
        for request_id, is_error, raw in plan.replies:
            mcp_app.outbound.resolve(request_id, is_error, raw)
        if not plan.has_responses:
            return
        messages = []
        for call in plan.calls:
            ctx = Context(
                app=mcp_app, path_params={}, request_id=call.id, progress_token=call.progress_token, emit=self.write
            )
            messages.append(await mcp_app.call(call, ctx))
        await self.write(plan.finish(messages))

    def remember_version(self, body: bytes) -> None:
        # The negotiated revision shapes every later answer, as the header does over HTTP.
        try:
            message = json.loads(body)
        except ValueError:
            return
        if isinstance(message, dict):
            version = (message.get("result") or {}).get("protocolVersion")
            if isinstance(version, str):
                self.protocol_version = version

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[bytes | None] = asyncio.Queue()

        def read() -> None:
            for raw in sys.stdin.buffer:
                loop.call_soon_threadsafe(lines.put_nowait, raw)
            loop.call_soon_threadsafe(lines.put_nowait, None)

        threading.Thread(target=read, daemon=True).start()
        while (line := await lines.get()) is not None:
            if not line.strip():
                continue
            # Each message runs on its own, so a call waiting for the client's
            # answer (elicitation) does not block reading that answer.
            task = asyncio.ensure_future(self.handle(line.strip()))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)


class Command(BaseCommand):
    help = "Serves this project's MCP tools over stdio (for clients that launch a local server process)."

    def handle(self, *args: Any, **options: Any) -> None:
        asyncio.run(StdioServer().serve())
