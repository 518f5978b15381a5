"""The mount's door: authenticates each request to an MCP endpoint, answers
401 / 403 the way the MCP authorization spec says, serves the Protected
Resource Metadata (RFC 9728), and works out what a caller may not see."""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from .. import _core
from ..conf import mcp_settings
from .authentication import AuthenticationFailed, AuthInfo, AuthRequest, BaseAuthentication
from .cache import credentials

if TYPE_CHECKING:
    from ..server import MCPApp

logger = logging.getLogger("django_mcp")

WELL_KNOWN = "/.well-known/oauth-protected-resource"

#: (base path, endpoint paths) of every MCP mount made in this process, so that
#: the authorization server (django_mcp.oauth) knows this site's resources.
_mounted: list[tuple[str, tuple[str, ...]]] = []


def remember_mount(base_path: str, transports: Sequence[str]) -> None:
    """Called by ``mount_mcp_server``: the endpoints under ``base_path`` are this site's resources."""
    endpoints = (("/http",) if {"http", "http_stateless"} & set(transports) else ()) + (
        ("/sse",) if "sse" in transports else ()
    )
    if endpoints and (base_path, endpoints) not in _mounted:
        _mounted.append((base_path, endpoints))


def mounted_endpoints() -> list[tuple[str, tuple[str, ...]]]:
    return list(_mounted)


def _origin(scope: Mapping[str, Any]) -> str:
    configured = mcp_settings.MCP_AUTH_RESOURCE_ORIGIN
    if configured:
        return str(configured).rstrip("/")
    host = ""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = value.decode("latin-1")
            break
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = f"{server[0]}:{server[1]}" if server[1] else str(server[0])
    return f"{scope.get('scheme', 'http')}://{host}"


def resource_url(scope: Mapping[str, Any], endpoint_path: str) -> str:
    """The endpoint's URL, as a resource identifier (RFC 8707)."""
    return f"{_origin(scope)}{scope.get('root_path', '')}{endpoint_path}"


def metadata_url(scope: Mapping[str, Any], endpoint_path: str) -> str:
    return f"{_origin(scope)}{WELL_KNOWN}{scope.get('root_path', '')}{endpoint_path}"


def authorization_servers(scope: Mapping[str, Any]) -> list[str]:
    """MCP_AUTH_AUTHORIZATION_SERVERS, or this site itself when it is one (django_mcp.oauth)."""
    configured = [str(s) for s in mcp_settings.MCP_AUTH_AUTHORIZATION_SERVERS]
    if configured:
        return configured
    from django.apps import apps

    if apps.is_installed("django_mcp.oauth"):
        return [f"{_origin(scope)}{scope.get('root_path', '')}"]
    return []


def metadata_document(scope: Mapping[str, Any], endpoint_path: str) -> bytes:
    return _core.resource_metadata(
        resource_url(scope, endpoint_path),
        authorization_servers(scope),
        [str(s) for s in mcp_settings.MCP_AUTH_SCOPES_SUPPORTED],
        str(mcp_settings.MCP_SERVER_TITLE or mcp_settings.MCP_SERVER_NAME),
    )


class Gate:
    def __init__(self, app: MCPApp) -> None:
        self.app = app
        self.classes: list[BaseAuthentication] = [
            import_string(path)() for path in mcp_settings.MCP_AUTHENTICATION_CLASSES
        ]
        self.required = bool(mcp_settings.MCP_AUTH_REQUIRED)
        #: Whether requests are authenticated at all (classes configured, or auth required).
        self.authenticates = bool(self.classes) or self.required

    @property
    def active(self) -> bool:
        """Whether requests need looking at (no classes, nothing required, no access rules: no cost)."""
        return self.authenticates or self.app.has_access_rules

    async def authenticate(self, request: AuthRequest) -> tuple[Any, AuthInfo] | None:
        """The first authentication class's answer; a bearer token verified in
        the last ``MCP_AUTH_CACHE_SECONDS`` is answered from memory."""
        seconds = mcp_settings.MCP_AUTH_CACHE_SECONDS
        key = None
        if seconds and request.bearer is not None:
            key = credentials.key(request.resource, request.bearer)
            cached = credentials.get(key)
            if cached is not None:
                return cached
        for auth in self.classes:
            found = await auth.authenticate(request)
            if found is not None:
                if not getattr(found[0], "is_active", True):
                    raise AuthenticationFailed("the user is inactive")
                if key is not None:
                    credentials.put(key, found[0], found[1], seconds)
                return found
        return None

    async def admit(self, scope: MutableMapping[str, Any], endpoint_path: str) -> _core.Response | None:
        """Sets ``scope["user"]`` and ``scope["mcp.auth"]``; returns the refusal
        to send instead of serving the request, or None."""
        request = AuthRequest(scope, resource_url(scope, endpoint_path))
        user, info = None, None
        given = scope.get("user")
        if given is not None and getattr(given, "is_authenticated", False):
            user, info = given, scope.get("mcp.auth") or AuthInfo("scope")
        else:
            try:
                found = await self.authenticate(request)
                if found is not None:
                    user, info = found
            except AuthenticationFailed as e:
                logger.warning("MCP request refused (%s): %s", e.error, e.description)
                return _core.auth_refusal(e.status, metadata_url(scope, endpoint_path), e.description, error=e.error)
            if user is None and request.bearer is not None:
                logger.warning("MCP request refused: a bearer token no authentication class accepted")
                return _core.auth_refusal(
                    401, metadata_url(scope, endpoint_path), "the bearer token was not accepted", error="invalid_token"
                )
        if user is None:
            if self.required:
                hint = " ".join(str(s) for s in mcp_settings.MCP_AUTH_SCOPES_SUPPORTED) or None
                return _core.auth_refusal(
                    401, metadata_url(scope, endpoint_path), "authentication required", scope=hint
                )
            user = _anonymous()
        scope["user"] = user
        scope["mcp.auth"] = info
        return None

    def check_calls(self, plan: Any, scope: Mapping[str, Any], endpoint_path: str) -> _core.Response | None:
        """401 when a planned call needs a user and there is none; 403
        insufficient_scope when the token lacks a scope it needs."""
        user: Any = scope.get("user")
        info: AuthInfo | None = scope.get("mcp.auth")
        granted = info.scopes if info is not None else None
        for call in plan.calls:
            function = self.app.function_for(call)
            if function is None or function.access is None:
                continue
            access = function.access
            if not getattr(user, "is_authenticated", False):
                logger.warning("MCP %s %s refused: authentication required", function.kind, function.name)
                return _core.auth_refusal(
                    401,
                    metadata_url(scope, endpoint_path),
                    f"{function.kind} {function.name} needs an authenticated user",
                    scope=" ".join(access.scopes) or None,
                )
            missing = access.missing_scopes(granted)
            if missing:
                # Step-up: what the tool needs plus what the token has, so that
                # re-authorizing with this hint keeps the client's other tools.
                hint = " ".join(dict.fromkeys([*access.scopes, *sorted(granted or ())]))
                logger.warning(
                    "MCP %s %s refused for %s: the token lacks scope %s",
                    function.kind,
                    function.name,
                    user.get_username(),
                    " ".join(missing),
                )
                return _core.auth_refusal(
                    403,
                    metadata_url(scope, endpoint_path),
                    f"{function.kind} {function.name} needs scope {' '.join(access.scopes)}",
                    scope=hint,
                    error="insufficient_scope",
                )
        return None


def _anonymous() -> Any:
    try:
        from django.contrib.auth.models import AnonymousUser
    except (ImportError, RuntimeError):
        return None
    return AnonymousUser()
