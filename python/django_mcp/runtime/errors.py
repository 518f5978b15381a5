"""Errors a user function raises to answer with a JSON-RPC error rather than
a tool result."""

from __future__ import annotations

from typing import Any


class ProtocolError(Exception):
    """Ends a call with a JSON-RPC error (``code``, ``message``, ``data``).

    Any other exception a tool raises becomes a result with ``isError: true``,
    which the model reads; this one is for failures of the request itself. A
    task whose tool raises it ends ``failed`` with this error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def as_error(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error
