"""Running a task's rounds. A round calls the tool from the start with the
answers gathered so far; it ends with the tool's result (``completed``), a
protocol error (``failed``) or new input requests (``input_required``, resumed
by ``tasks/update`` with another round).

Rounds run on the web process's event loop, or, with ``MCP_TASKS_BACKEND``,
as a Django task on that backend's workers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import pydantic
from django.utils.module_loading import import_string
from pydantic_core import to_json

from .. import _core
from ..conf import mcp_settings
from ..context import Context
from ..runtime.errors import ProtocolError
from ..runtime.invoke import logged_call
from ..runtime.multiround import InputRequired, InputRound, MissingCapability
from . import store
from .running import current_task

logger = logging.getLogger("django_mcp")

#: ``server.MCPApp``, which imports this package, so it is not imported here.
MCPApp = Any

#: Rounds running on this process's loop, by task id, so tasks/cancel can stop them.
_running: dict[str, asyncio.Task[None]] = {}


class _NoDeadline:
    """A round has no request deadline: it runs until it ends or is cancelled."""

    @staticmethod
    def expired(task: Any) -> bool:
        return False


_NO_DEADLINE = _NoDeadline()


async def start(app: MCPApp, task_id: str, scope: Mapping[str, Any] | None, path_params: Mapping[str, Any]) -> None:
    """Starts the task's next round: queued on the tasks backend, or on this
    process's loop (it runs once the current response is on its way)."""
    backend = mcp_settings.MCP_TASKS_BACKEND
    if backend:
        # By name: the worker module imports the app, which imports this one.
        await import_string("django_mcp.tasks.worker.enqueue")(backend, task_id, path_params)
        return
    work = asyncio.get_running_loop().create_task(run_round(app, task_id, scope, path_params))
    _running[task_id] = work
    work.add_done_callback(lambda done: _running.pop(task_id, None) if _running.get(task_id) is done else None)


def cancel(task_id: str) -> None:
    """Stops the task's round if it runs in this process (elsewhere it ends
    unheard: a cancelled task keeps its status)."""
    work = _running.get(task_id)
    if work is not None:
        work.cancel()


async def run_round(app: MCPApp, task_id: str, scope: Mapping[str, Any] | None, path_params: Mapping[str, Any]) -> None:
    task = await store.load(task_id)
    if task is None or task["status"] != store.WORKING:
        return
    try:
        outcome = await _execute(app, task, scope, path_params)
    except asyncio.CancelledError:
        return
    except Exception as e:  # our failure, not the tool's: the task fails
        logger.exception("MCP task %s failed", task_id)
        outcome = _failed({"code": _core.INTERNAL_ERROR, "message": f"Internal error: {e}"})
    latest = await store.load(task_id)
    # Cancelled, expired or moved on meanwhile: the late outcome is dropped.
    if latest is None or latest["status"] != store.WORKING or latest["round"] != task["round"]:
        return
    latest.update(outcome)
    await store.save(latest)


def _failed(error: dict[str, Any]) -> dict[str, Any]:
    return {"status": store.FAILED, "error": error}


def _completed(result: dict[str, Any]) -> dict[str, Any]:
    return {"status": store.COMPLETED, "result": result}


def _error_result(message: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": message}], "isError": True}


async def _execute(
    app: MCPApp, task: store.Task, scope: Mapping[str, Any] | None, path_params: Mapping[str, Any]
) -> dict[str, Any]:
    tool = app.tool_named(task["tool"])
    if tool is None:
        return _failed({"code": _core.INTERNAL_ERROR, "message": f"Unknown tool: {task['tool']}"})
    input_round = InputRound(
        kind="tool",
        target=tool.name,
        arguments=task["arguments"],
        input_responses=to_json(task["answers"]).decode(),
        request_state=None,
        client_capabilities=task["capabilities"],
    )
    ctx = Context(app, path_params, scope, None, None, input_round)
    ctx._watch = _NO_DEADLINE
    token = current_task.set(task["taskId"])
    try:
        kwargs = tool.params.validate_json(task["arguments"])
        value = await logged_call(tool, kwargs, ctx)
        return _completed(app.tool_result(tool, value))
    except InputRequired as need:
        return {"status": store.INPUT_REQUIRED, "inputRequests": need.requests}
    except MissingCapability as e:
        return _failed({"code": _core.MISSING_REQUIRED_CLIENT_CAPABILITY, "message": str(e), "data": e.data})
    except ProtocolError as e:
        return _failed(e.as_error())
    except pydantic.ValidationError as e:
        return _completed(_error_result(f"Invalid arguments for tool {tool.name}: {e}"))
    except Exception as e:
        return _completed(_error_result(f"Error executing tool {tool.name}: {e}"))
    finally:
        current_task.reset(token)
