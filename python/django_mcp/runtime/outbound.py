"""Requests from the server to the client (elicitation, sampling, roots)
waiting for the client's answer, which arrives in a later POST."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any


class ClientError(Exception):
    """The client answered one of our requests with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data


class OutboundRequests:
    """Pending server-to-client requests by id.

    Ids are random, so a client can only answer requests it was actually sent.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[Any]] = {}

    def open(self) -> tuple[str, asyncio.Future[Any]]:
        """A fresh request id (raw JSON) and the future its answer will resolve."""
        request_id = json.dumps(f"srv-{secrets.token_hex(12)}")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        return request_id, future

    def close(self, request_id: str) -> None:
        self._waiting.pop(request_id, None)

    def resolve(self, request_id: str, is_error: bool, raw: str) -> bool:
        """Delivers a client's answer; False when no request of ours has this id."""
        future = self._waiting.pop(request_id, None)
        if future is None or future.done():
            return False
        value = json.loads(raw)
        if is_error:
            future.set_exception(ClientError(value.get("code", 0), value.get("message", ""), value.get("data")))
        else:
            future.set_result(value)
        return True
