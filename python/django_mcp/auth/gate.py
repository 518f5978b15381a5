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


def principal(scope: Mapping[str, Any]) -> str:
    """Who a request speaks for, as sessions are bound to it: the user
    (``user:<pk>``), a token user with no row (``subject:<name>``), or "" for
    an anonymous caller."""
    user = scope.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    pk = getattr(user, "pk", None)
    return f"user:{pk}" if pk is not None else f"subject:{user.get_username()}"


def caller(scope: Mapping[str, Any]) -> Any:
    """Whose running calls a request without a session may cancel
    (notifications/cancelled): its principal's when it has one, else only
    those of its own connection (address and port). An address alone is no
    identity: every client behind one proxy or NAT shares it."""
    user = scope.get("user")
    if user is not None and getattr(user, "is_authenticated", False):
        return principal(scope)
    return scope.get("client") or object()  # no connection known: its own calls only


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

    def host_refusal(self, scope: Mapping[str, Any]) -> _core.Response | None:
        """The endpoint's own 403 for a Host (or Origin) it does not serve.

        401 challenges and the resource metadata put URLs built from the Host
        header in their answers, and the metadata may be kept by shared
        caches: a forged Host (``evil.example``) must be refused before it is
        used, as the endpoint would refuse it (ALLOWED_HOSTS,
        MCP_DNS_REBINDING_PROTECTION)."""
        if mcp_settings.MCP_AUTH_RESOURCE_ORIGIN:
            return None  # the URLs do not come from the request
        return self.app.engine.host_refusal(scope.get("headers", ()))

    def challenge(
        self,
        scope: Mapping[str, Any],
        endpoint_path: str,
        status: int,
        description: str,
        scope_hint: str | None = None,
        error: str | None = None,
    ) -> _core.Response:
        """A 401 / 403 naming the resource metadata's URL, which is built from
        the Host header: a Host the endpoint would refuse gets its 403 instead
        (checked only here, on the way to a refusal, not on every request)."""
        refused = self.host_refusal(scope)
        if refused is not None:
            return refused
        return _core.auth_refusal(status, metadata_url(scope, endpoint_path), description, scope_hint, error)

    def metadata(self, scope: Mapping[str, Any], resource_path: str) -> tuple[int, list[Any], bytes]:
        """The answer to a GET of the resource metadata: status, headers, body."""
        refused = self.host_refusal(scope)
        if refused is not None:
            return refused.status, refused.headers, refused.body
        headers = [
            (b"content-type", b"application/json"),
            (b"access-control-allow-origin", b"*"),
            (b"cache-control", b"max-age=300"),
        ]
        return 200, headers, metadata_document(scope, resource_path)

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
                return self.challenge(scope, endpoint_path, e.status, e.description, error=e.error)
            if user is None and request.bearer is not None:
                logger.warning("MCP request refused: a bearer token no authentication class accepted")
                return self.challenge(
                    scope, endpoint_path, 401, "the bearer token was not accepted", error="invalid_token"
                )
        if user is None:
            if self.required:
                hint = " ".join(str(s) for s in mcp_settings.MCP_AUTH_SCOPES_SUPPORTED) or None
                return self.challenge(scope, endpoint_path, 401, "authentication required", scope_hint=hint)
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
                return self.challenge(
                    scope,
                    endpoint_path,
                    401,
                    f"{function.kind} {function.name} needs an authenticated user",
                    scope_hint=" ".join(access.scopes) or None,
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
                return self.challenge(
                    scope,
                    endpoint_path,
                    403,
                    f"{function.kind} {function.name} needs scope {' '.join(access.scopes)}",
                    scope_hint=hint,
                    error="insufficient_scope",
                )
        return None


def _anonymous() -> Any:
    try:
        from django.contrib.auth.models import AnonymousUser
    except (ImportError, RuntimeError):
        return None
    return AnonymousUser()
