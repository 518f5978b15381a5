"""Django app config: loads every installed app's ``mcp.py`` and MCP_DIRS."""

from __future__ import annotations

import logging

from django.apps import AppConfig


class DjangoMCPConfig(AppConfig):
    name = "django_mcp"
    verbose_name = "Django MCP"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .conf import mcp_settings
        from .discovery import autodiscover

        logging.getLogger("django_mcp").setLevel(str(mcp_settings.MCP_LOG_LEVEL).upper())
        autodiscover()
