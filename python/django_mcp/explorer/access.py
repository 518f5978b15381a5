"""Who may open the explorer: ``MCP_EXPLORER_ACCESS`` names a callable taking
the request and answering True or False."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.module_loading import import_string

from ..conf import mcp_settings


def staff_only(request: HttpRequest) -> bool:
    """The default: active staff users."""
    user = request.user
    return bool(user.is_active and user.is_staff)


def explorer_access() -> Callable[[HttpRequest], bool]:
    """The callable ``MCP_EXPLORER_ACCESS`` names (or is)."""
    access = mcp_settings.MCP_EXPLORER_ACCESS
    return import_string(access) if isinstance(access, str) else access
