"""What a tool's code sees of the task it may run in (read by ``Context.start_task``)."""

from __future__ import annotations

import contextvars


class StartTask(BaseException):
    """Raised by ``Context.start_task`` in a request: the call goes on as a task.

    A BaseException, like CancelledError, so that a tool's ``except Exception``
    does not swallow it."""


#: The id of the task whose round is running, None outside tasks.
current_task: contextvars.ContextVar[str | None] = contextvars.ContextVar("django_mcp_task", default=None)

#: Set while a request runs a tool registered with ``task_starts="when_asked"``
#: for a client that declared the extension: ``Context.start_task`` may start one.
startable: contextvars.ContextVar[bool] = contextvars.ContextVar("django_mcp_task_startable", default=False)
