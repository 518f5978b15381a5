"""The page a person's browser gets for an MCP endpoint's URL (a GET asking
for HTML, with no MCP headers): what the URL is and how to add it to a client,
not a protocol error. The mount's routing and the Django views both serve it."""

from __future__ import annotations

from typing import Any

from ..conf import mcp_settings

_MCP_HEADERS = (b"mcp-session-id", b"mcp-protocol-version", b"last-event-id")


def wants_browser_page(headers: Any) -> bool:
    """A browser's navigation: ``Accept`` names text/html (not event streams) and no MCP header is sent."""
    accept = b""
    for name, value in headers:
        if name in _MCP_HEADERS:
            return False
        if name == b"accept":
            accept = value.lower()
    return b"text/html" in accept and b"text/event-stream" not in accept


def browser_page(scope: Any, endpoint_path: str) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
    """(status, headers, body) of the page for a browser's GET of an MCP endpoint, or None for any other request."""
    if scope.get("method") != "GET" or not wants_browser_page(scope.get("headers", ())):
        return None
    from django.apps import apps
    from django.template.loader import render_to_string

    from ..auth.gate import resource_url

    context = {
        "server_name": mcp_settings.MCP_SERVER_TITLE or mcp_settings.MCP_SERVER_NAME,
        "url": resource_url(scope, endpoint_path),
        "connects_with_oauth": apps.is_installed("django_mcp.oauth"),
    }
    try:
        body = render_to_string("django_mcp/endpoint.html", context)
    except Exception:  # no template engine configured: the same words, plainly
        from django.utils.html import escape

        body = (
            f"<!doctype html><title>{escape(context['server_name'])}</title>"
            f"<h1>{escape(context['server_name'])}</h1><p>This is a Model Context Protocol (MCP) server. "
            f"Add <code>{escape(context['url'])}</code> to an MCP client (Claude, ChatGPT, Cursor, VS Code) "
            "as a remote server; it is not a page to browse.</p>"
        )
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store"), (b"vary", b"Accept")]
    return 200, headers, body.encode()
