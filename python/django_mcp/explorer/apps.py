"""The explorer as a Django app, so that its templates and static files are found."""

from django.apps import AppConfig


class ExplorerConfig(AppConfig):
    name = "django_mcp.explorer"
    label = "django_mcp_explorer"
    verbose_name = "MCP explorer"
