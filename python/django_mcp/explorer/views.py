"""The explorer's page and its two static files.

The page is a Django template; what it lists comes from the MCP endpoint
itself, asked by the page's script with the user's session cookie and CSRF
token. So the page shows exactly what this user may see and call, and every
call goes through the same authentication, permissions and validation as any
other client's.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views import View

from ..conf import mcp_settings
from .access import explorer_access

#: The revision of MCP the page speaks (Streamable HTTP, with event streams).
PROTOCOL_VERSION = "2025-11-25"

_STATIC = Path(__file__).resolve().parent / "static" / "django_mcp" / "explorer"
_ASSETS = {"explorer.js": "text/javascript; charset=utf-8", "explorer.css": "text/css; charset=utf-8"}


class ExplorerView(View):
    """The explorer for the endpoint beside it (``<base>/`` for ``<base>/http``),
    or for the ``endpoint`` the URL pattern passes.

    Subclass to change who may see it (``has_access``) or the template."""

    template_name = "django_mcp/explorer/explorer.html"
    #: Sent with the page: its script and styles come from this site, tool
    #: results are shown as text and ``data:`` images, nothing else runs.
    content_security_policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )

    def has_access(self, request: HttpRequest) -> bool:
        return bool(explorer_access()(request))

    def get(self, request: HttpRequest, endpoint: str | None = None, **path_params: Any) -> HttpResponse:
        if not apps.is_installed("django_mcp.explorer"):
            raise ImproperlyConfigured("The MCP explorer needs 'django_mcp.explorer' in INSTALLED_APPS.")
        if not hasattr(request, "user"):
            raise ImproperlyConfigured(
                "The MCP explorer needs django.contrib.auth's AuthenticationMiddleware (and sessions) in MIDDLEWARE."
            )
        if not self.has_access(request):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise PermissionDenied("The MCP explorer is not open to this user (MCP_EXPLORER_ACCESS).")
        response = render(request, self.template_name, self.get_context_data(request, endpoint, path_params))
        if self.content_security_policy:
            response.setdefault("Content-Security-Policy", self.content_security_policy)
        response["Cache-Control"] = "no-store"
        return response

    def get_context_data(self, request: HttpRequest, endpoint: str | None, path_params: dict[str, Any]) -> dict:
        base = request.path if request.path.endswith("/") else request.path + "/"
        return {
            "endpoint": endpoint or base + "http",
            "csrf_token_value": get_token(request),
            "protocol_version": PROTOCOL_VERSION,
            "script_url": f"{base}assets/explorer.js?v={_digest('explorer.js')}",
            "stylesheet_url": f"{base}assets/explorer.css?v={_digest('explorer.css')}",
            "session_authentication": "django_mcp.auth.SessionAuthentication"
            in list(mcp_settings.MCP_AUTHENTICATION_CLASSES),
            "server_title": mcp_settings.MCP_SERVER_TITLE or mcp_settings.MCP_SERVER_NAME,
            "path_params": path_params,
        }


def asset(request: HttpRequest, name: str, **kwargs: Any) -> HttpResponse:
    """The page's script and stylesheet. Their URLs carry a digest of the
    content, so browsers may keep them for a long time."""
    if name not in _ASSETS:
        raise Http404("No such file")
    response = HttpResponse(_read(name), content_type=_ASSETS[name])
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@cache
def _read(name: str) -> bytes:
    return (_STATIC / name).read_bytes()


@cache
def _digest(name: str) -> str:
    return hashlib.sha256(_read(name)).hexdigest()[:12]
