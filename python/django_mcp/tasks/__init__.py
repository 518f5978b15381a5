"""The tasks extension (``io.modelcontextprotocol/tasks``): a tool registered
with ``task="optional"`` or ``task="required"`` answers a client that declares
the extension with a task, which runs after the response and which the client
polls with ``tasks/get``, answers with ``tasks/update`` and stops with
``tasks/cancel``.

Task state lives in a Django cache (``MCP_TASKS_CACHE``) so that any process
can answer for any task; rounds run in the web process, or on a Django tasks
backend (``MCP_TASKS_BACKEND``) whose workers outlive web processes.
"""

from .store import TASK_SUPPORT, TaskSupport

__all__ = ["TASK_SUPPORT", "TaskSupport"]
