"""The extension's requests: a task-supporting ``tools/call``, and
``tasks/get``, ``tasks/update`` and ``tasks/cancel``. The engine has checked
the envelope, the routing headers and that the client declared the extension;
here tasks are made, found (only for the principal that created them) and
changed."""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import to_json

from .. import _core
from ..context import Context
from . import runner, store
from .running import StartTask, startable

#: ``server.MCPApp`` and ``server.Tool``, which import this module, so they are not imported here.
MCPApp = Any
Tool = Any

_EXTENSION = "io.modelcontextprotocol/tasks"
_MISSING: dict[str, Any] = {"requiredCapabilities": {"extensions": {_EXTENSION: {}}}}


def _owner(ctx: Context) -> str:
    return store.principal(ctx.user, ctx.auth)


async def call_tool(app: MCPApp, tool: Tool, call: _core.Call, ctx: Context) -> bytes:
    """A tools/call of a task-supporting tool: a task when the request declares
    the extension, else the plain call (or -32021 for a tool that needs a task)."""
    if not call.declares_tasks:
        if tool.task == "required":
            message = f"Tool {tool.name} runs as a task: the request must declare the extension {_EXTENSION}"
            return call.error(_core.MISSING_REQUIRED_CLIENT_CAPABILITY, message, to_json(_MISSING).decode())
        return await app._call_tool(tool, call, ctx)
    answers: dict[str, Any] = {}
    if tool.task_starts == "when_asked":
        # Input asked before ``ctx.start_task()`` travels in input_required
        # results; the task starts with the answers gathered so far.
        token = startable.set(True)
        try:
            return await app._call_tool(tool, call, ctx)
        except StartTask:
            answers = dict(ctx._input.answers) if ctx._input is not None else {}
        finally:
            startable.reset(token)
    task = store.new(
        owner=_owner(ctx),
        tool=tool.name,
        arguments=call.arguments,
        capabilities=call.client_capabilities,
        answers=answers,
    )
    # Saved before the answer, so a tasks/get right after it finds the task.
    await store.save(task)
    await runner.start(app, task["taskId"], ctx.scope, ctx.path_params)
    return call.result(to_json(store.envelope(task)), result_type="task")


async def handle(app: MCPApp, call: _core.Call, ctx: Context) -> bytes:
    """tasks/get, tasks/update or tasks/cancel (``call.target``)."""
    params = json.loads(call.arguments)
    task_id = params.get("taskId")
    task = await store.load(task_id) if isinstance(task_id, str) else None
    # Another principal's task is answered as an unknown one.
    if task is None or task["owner"] != _owner(ctx):
        return call.error(_core.INVALID_PARAMS, f"Invalid params: unknown task {task_id!r}")
    if call.target == "tasks/get":
        return call.result(to_json(store.detailed(task)))
    if call.target == "tasks/cancel":
        if task["status"] not in store.TERMINAL:
            task["status"] = store.CANCELLED
            task["inputRequests"] = {}
            await store.save(task)
            runner.cancel(task_id)
        return call.result(b"{}")
    responses = params.get("inputResponses")
    if not isinstance(responses, dict):
        return call.error(_core.INVALID_PARAMS, "Invalid params: inputResponses must be an object")
    await _answer(app, task, responses, ctx)
    return call.result(b"{}")


async def _answer(app: MCPApp, task: store.Task, responses: dict[str, Any], ctx: Context) -> None:
    """Takes the answers to the task's pending requests (others are ignored);
    once none is pending, the task runs again."""
    if task["status"] != store.INPUT_REQUIRED:
        return
    pending = task["inputRequests"]
    answered = {k: v for k, v in responses.items() if k in pending and isinstance(v, dict)}
    if not answered:
        return
    task["answers"].update(answered)
    for key in answered:
        del pending[key]
    if not pending:
        task["status"] = store.WORKING
        task["round"] += 1
    await store.save(task)
    if task["status"] == store.WORKING:
        await runner.start(app, task["taskId"], ctx.scope, ctx.path_params)
