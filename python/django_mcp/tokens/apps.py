"""The API tokens app (``django_mcp.tokens``) for TokenAuthentication."""

from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "django_mcp.tokens"
    label = "django_mcp_tokens"
    verbose_name = "MCP API tokens"
    default_auto_field = "django.db.models.BigAutoField"
