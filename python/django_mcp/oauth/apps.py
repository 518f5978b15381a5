from django.apps import AppConfig


class OAuthConfig(AppConfig):
    name = "django_mcp.oauth"
    label = "django_mcp_oauth"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "MCP authorization server"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
