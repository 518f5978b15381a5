"""The scopes clients may ask for, and what the consent page calls them."""

from __future__ import annotations

from oauth2_provider.scopes import get_scopes_backend

from ..conf import mcp_settings


def supported_scopes() -> list[str]:
    """``MCP_AUTH_SCOPES_SUPPORTED``, else every scope of ``OAUTH2_PROVIDER["SCOPES"]``."""
    configured = [str(s) for s in mcp_settings.MCP_AUTH_SCOPES_SUPPORTED]
    return configured or sorted(get_scopes_backend().get_all_scopes())


def describe(scopes: list[str]) -> list[tuple[str, str]]:
    """(scope, human description) pairs, descriptions from ``OAUTH2_PROVIDER["SCOPES"]``."""
    described = get_scopes_backend().get_all_scopes()
    return [(scope, str(described.get(scope, scope))) for scope in scopes]
