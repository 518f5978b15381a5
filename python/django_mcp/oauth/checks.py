"""``manage.py check`` for the authorization server's configuration."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import Error, Tags, Warning, register

from ..conf import mcp_settings


@register(Tags.security)
def check_authorization_server(app_configs: Any = None, **kwargs: Any) -> list:
    messages: list = []
    if not apps.is_installed("oauth2_provider"):
        messages.append(
            Error(
                "django_mcp.oauth is built on django-oauth-toolkit, which is not installed as an app.",
                hint="Add 'oauth2_provider' to INSTALLED_APPS (pip install 'django-mcp[oauth]').",
                id="django_mcp.E101",
            )
        )
        return messages
    if "django_mcp.auth.OAuth2Authentication" not in list(mcp_settings.MCP_AUTHENTICATION_CLASSES):
        messages.append(
            Warning(
                "The MCP endpoints do not accept the tokens this authorization server issues.",
                hint="Add 'django_mcp.auth.OAuth2Authentication' to MCP_AUTHENTICATION_CLASSES.",
                id="django_mcp.W101",
            )
        )
    from oauth2_provider.scopes import get_scopes_backend

    described = get_scopes_backend().get_all_scopes()
    undescribed = [str(s) for s in mcp_settings.MCP_AUTH_SCOPES_SUPPORTED if s not in described]
    if undescribed:
        messages.append(
            Error(
                f"MCP_AUTH_SCOPES_SUPPORTED names scopes without a description: {', '.join(undescribed)}.",
                hint='Describe each for the consent page in OAUTH2_PROVIDER["SCOPES"] ({"scope": "What it allows"}).',
                id="django_mcp.E102",
            )
        )
    if not apps.is_installed("django.contrib.sessions"):
        messages.append(
            Error(
                "Users log in before they allow a client, which needs sessions.",
                hint="Add 'django.contrib.sessions' to INSTALLED_APPS and SessionMiddleware to MIDDLEWARE.",
                id="django_mcp.E103",
            )
        )
    return messages
