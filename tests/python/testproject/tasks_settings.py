"""The test project with task-supporting tools: task state in a file-based
cache every process shares, API tokens for the principals, and, with
MCP_TEST_TASKS_WORKER=1, rounds queued on django-tasks' database backend for
``manage.py db_worker``."""

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS, os

INSTALLED_APPS = [*INSTALLED_APPS, "django_mcp.tokens", "django_tasks", "django_tasks_db", "taskapp"]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ["TEST_TASKS_CACHE"],
    }
}
MCP_AUTHENTICATION_CLASSES = ["django_mcp.auth.TokenAuthentication"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
if os.environ.get("MCP_TEST_TASKS_WORKER") == "1":
    MCP_TASKS_BACKEND = "default"
# A misconfiguration for the system checks' test: per-process task state with a worker.
if os.environ.get("MCP_TEST_TASKS_LOCMEM") == "1":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
