"""Task state, kept in a Django cache so that every process serving the
endpoint (and every task worker) sees the same tasks.

A task is one JSON-able dict: what to run (the tool, its arguments, the
client's capabilities), who it belongs to, the answers gathered so far, and
its status with the result, the error or the pending input requests.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone
from typing import Any, Literal

from django.core.cache import caches
from pydantic_core import to_json

from ..conf import mcp_settings

#: How a tool takes part in the extension (the spec's ``taskSupport`` levels):
#: "forbidden" never makes a task, "optional" makes one when the client
#: declares the extension, "required" refuses a client that does not.
TaskSupport = Literal["forbidden", "optional", "required"]
TASK_SUPPORT: tuple[str, ...] = ("forbidden", "optional", "required")

WORKING, INPUT_REQUIRED, COMPLETED, FAILED, CANCELLED = "working", "input_required", "completed", "failed", "cancelled"
TERMINAL = frozenset({COMPLETED, FAILED, CANCELLED})

Task = dict[str, Any]

_PREFIX = "django_mcp.task:"


def now() -> str:
    """The current time as the ISO 8601 text tasks carry (UTC, milliseconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def principal(user: Any, auth: Any) -> str:
    """Who a request acts for: a user by primary key, a credential without a
    user by a digest of its claims, or "anonymous". A task answers only to the
    principal that created it."""
    if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) is not None:
        return f"user:{user.pk}"
    if auth is not None:
        claims = to_json(dict(getattr(auth, "claims", {}) or {}), fallback=str)
        return "credential:" + hashlib.sha256(claims).hexdigest()
    return "anonymous"


def _cache() -> Any:
    return caches[mcp_settings.MCP_TASKS_CACHE]


def _timeout(task: Task) -> float:
    """Seconds the cache keeps the task: what is left of its ttlMs."""
    created = datetime.fromisoformat(task["createdAt"].replace("Z", "+00:00"))
    left = task["ttlMs"] / 1000 - (datetime.now(timezone.utc) - created).total_seconds()
    return max(left, 1.0)


def new(*, owner: str, tool: str, arguments: str, capabilities: str | None, answers: dict[str, Any]) -> Task:
    stamp = now()
    return {
        "taskId": secrets.token_urlsafe(24),
        "status": WORKING,
        "createdAt": stamp,
        "lastUpdatedAt": stamp,
        "ttlMs": int(mcp_settings.MCP_TASKS_TTL_MS),
        "pollIntervalMs": int(mcp_settings.MCP_TASKS_POLL_INTERVAL_MS),
        "owner": owner,
        "tool": tool,
        "arguments": arguments,
        "capabilities": capabilities,
        "answers": answers,
        "inputRequests": {},
        "round": 0,
    }


async def load(task_id: str) -> Task | None:
    return await _cache().aget(_PREFIX + task_id)


def load_sync(task_id: str) -> Task | None:
    return _cache().get(_PREFIX + task_id)


async def save(task: Task) -> None:
    task["lastUpdatedAt"] = now()
    await _cache().aset(_PREFIX + task["taskId"], task, _timeout(task))


def save_sync(task: Task) -> None:
    task["lastUpdatedAt"] = now()
    _cache().set(_PREFIX + task["taskId"], task, _timeout(task))


def envelope(task: Task) -> dict[str, Any]:
    """The Task fields every answer about a task carries."""
    out = {k: task[k] for k in ("taskId", "status", "createdAt", "lastUpdatedAt", "ttlMs", "pollIntervalMs")}
    if "statusMessage" in task:
        out["statusMessage"] = task["statusMessage"]
    return out


def detailed(task: Task) -> dict[str, Any]:
    """tasks/get's DetailedTask: the envelope, with the pending input requests,
    the result or the error by status."""
    out = envelope(task)
    status = task["status"]
    if status == INPUT_REQUIRED:
        out["inputRequests"] = task["inputRequests"]
    elif status == COMPLETED:
        out["result"] = task["result"]
    elif status == FAILED:
        out["error"] = task["error"]
    return out
