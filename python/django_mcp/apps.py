"""Django app config: loads every installed app's ``mcp.py`` and MCP_DIRS."""

from __future__ import annotations

import logging

from django.apps import AppConfig


class DjangoMCPConfig(AppConfig):
    name = "django_mcp"
    verbose_name = "Django MCP"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
        from .conf import mcp_settings
        from .discovery import autodiscover

        level = str(mcp_settings.MCP_LOG_LEVEL).upper()
        # An invalid level is reported by `manage.py check` (django_mcp.E001), not by a traceback here.
        if (
            level in logging.getLevelNamesMapping()
            if hasattr(logging, "getLevelNamesMapping")
            else level in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
        ):
            logging.getLogger("django_mcp").setLevel(level)
        autodiscover()
        from .auth.cache import connect_invalidation

        connect_invalidation()
