"""Which resources (RFC 8707) this site serves: the URLs of its MCP endpoints.

A client names the MCP endpoint it wants a token for (``resource``); the
authorization server issues tokens only for endpoints of this site, so that a
token cannot be minted here for somebody else's server, and writes the
endpoint into the token (its audience), which ``OAuth2Authentication`` checks.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpRequest
from django.urls import Resolver404, resolve

from .. import _core
from ..auth.gate import mounted_endpoints
from ..conf import mcp_settings


def site_origin(request: HttpRequest) -> str:
    """This site's origin as clients see it (``MCP_AUTH_RESOURCE_ORIGIN`` behind a proxy)."""
    configured = mcp_settings.MCP_AUTH_RESOURCE_ORIGIN
    if configured:
        return str(configured).rstrip("/")
    return f"{request.scheme}://{request.get_host()}"


def issuer(request: HttpRequest) -> str:
    """The authorization server's identifier (RFC 8414): the site's origin and script prefix."""
    return site_origin(request) + request.META.get("SCRIPT_NAME", "").rstrip("/")


def _origin_of(parts) -> str:
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def is_site_resource(uri: str, origin: str, script_prefix: str = "") -> bool:
    """Whether ``uri`` is the URL of one of this site's MCP endpoints."""
    if not isinstance(uri, str):
        return False
    parts = urlsplit(uri)
    if parts.query or parts.fragment or parts.username or parts.password:
        return False
    if _origin_of(parts) != _origin_of(urlsplit(origin)):
        return False
    path = parts.path
    if script_prefix:
        if not path.startswith(script_prefix + "/"):
            return False
        path = path[len(script_prefix) :]
    for base_path, endpoints in mounted_endpoints():
        if _core.Route(base_path, list(endpoints)).match(path) is not None:
            return True
    return _served_by_django_views(path)


def _served_by_django_views(path: str) -> bool:
    """``include("django_mcp.urls")``: the endpoint is Django's ``mcp_endpoint`` view."""
    from ..views import mcp_endpoint

    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.func is mcp_endpoint or getattr(match.func, "__wrapped__", None) is mcp_endpoint
