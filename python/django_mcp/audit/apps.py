"""The audit log app (``django_mcp.audit``)."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "django_mcp.audit"
    label = "django_mcp_audit"
    verbose_name = "MCP audit log"
    default_auto_field = "django.db.models.BigAutoField"
