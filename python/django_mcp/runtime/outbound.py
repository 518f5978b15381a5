"""Requests from the server to the client (elicitation, sampling, roots)
waiting for the client's answer, which arrives in a later POST, to this
process or (with the Redis session store) to any other process of the site,
which passes it on over the bus."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from typing import Any

from . import bus


class ClientError(Exception):
    """The client answered one of our requests with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data


class OutboundRequests:
    """Pending server-to-client requests by id.

    Ids are random, so a client can only answer requests it was actually
    sent; they name the process that waits (``srv-<process>-<random>``), so
    that another process receiving the answer knows where to pass it.
    """

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[Any]] = {}
        bus.on("reply", self._replied)

    async def ready(self) -> None:
        """Makes sure an answer POSTed to another process will reach this one."""
        found = bus.current()
        if found is not None:
            await found.start()

    def open(self) -> tuple[str, asyncio.Future[Any]]:
        """A fresh request id (raw JSON) and the future its answer will resolve."""
        request_id = json.dumps(f"srv-{bus.process_id()}-{secrets.token_hex(12)}")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        return request_id, future

    def close(self, request_id: str) -> None:
        self._waiting.pop(request_id, None)

    def resolve(self, request_id: str, is_error: bool, raw: str) -> bool:
        """Delivers a client's answer; False when no request of ours has this id.
        An answer to another process's request is passed on to it (True)."""
        future = self._waiting.pop(request_id, None)
        if future is None:
            return self._pass_on(request_id, is_error, raw)
        if future.done():
            return False
        value = json.loads(raw)
        error = ClientError(value.get("code", 0), value.get("message", ""), value.get("data")) if is_error else None
        loop = future.get_loop()
        if _running_loop() is loop:
            _settle(future, value, error)
        else:  # heard on the bus's event loop, in another thread
            loop.call_soon_threadsafe(_settle, future, value, error)
        return True

    def _pass_on(self, request_id: str, is_error: bool, raw: str) -> bool:
        found = bus.current()
        process = _process_of(request_id)
        if found is None or process is None or process == bus.process_id():
            return False
        found.post(bus.encode("reply", id=request_id, error=is_error, raw=raw), to=process)
        return True

    def _replied(self, message: dict[str, Any]) -> None:
        request_id = str(message.get("id"))
        if request_id not in self._waiting:
            return  # answered twice, or the call ended meanwhile
        self.resolve(request_id, bool(message.get("error")), str(message.get("raw")))


#: One of our request ids, as raw JSON: the process, then the random part.
_OURS = re.compile(r'"srv-([0-9a-f]{12})-[0-9a-f]{24}"')


def _process_of(request_id: str) -> str | None:
    """The process named in one of our request ids (raw JSON), if it is one."""
    found = _OURS.fullmatch(request_id)
    return found.group(1) if found else None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
