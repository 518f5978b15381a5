"""Task rounds on Django's task framework (``django.tasks`` from Django 6,
the ``django-tasks`` backport before it). With a database backend and its
worker command (``manage.py db_worker``), a round outlives every web process:
the task's state is in the shared cache, its round in the backend's queue.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from asgiref.sync import async_to_sync
from django.utils.module_loading import import_string
from pydantic_core import to_json

try:
    from django.tasks import task  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Django before 6: the backport
    from django_tasks import task  # type: ignore[import-not-found,no-redef,unused-ignore]

from . import runner, store


@task()
def run_round(task_id: str, path_params: dict[str, Any]) -> None:
    """One round of an MCP task, on a task worker: the tool runs for the user who created the task."""
    app = import_string("django_mcp.server.mcp_app")
    task_record = store.load_sync(task_id)
    scope = {"user": _owner_user(task_record["owner"])} if task_record else None
    async_to_sync(runner.run_round)(app, task_id, scope, path_params)


def _owner_user(owner: str) -> Any:
    if not owner.startswith("user:"):
        return None
    from django.contrib.auth import get_user_model

    return get_user_model()._default_manager.filter(pk=owner.removeprefix("user:")).first()


async def enqueue(backend: str, task_id: str, path_params: Mapping[str, Any]) -> None:
    """Queues the task's next round on ``backend`` (an alias of the TASKS setting)."""
    params = json.loads(to_json(dict(path_params), fallback=str))
    await run_round.using(backend=backend).aenqueue(task_id, params)
