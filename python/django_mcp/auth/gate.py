"""The mount's door: authenticates each request to an MCP endpoint, answers
401 / 403 the way the MCP authorization spec says, serves the Protected
Resource Metadata (RFC 9728), and works out what a caller may not see."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from .. import _core
from ..conf import mcp_settings
from .authentication import AuthenticationFailed, AuthInfo, AuthRequest, BaseAuthentication

if TYPE_CHECKING:
    from ..server import MCPApp

logger = logging.getLogger("django_mcp")

WELL_KNOWN = "/.well-known/oauth-protected-resource"


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


def metadata_document(scope: Mapping[str, Any], endpoint_path: str) -> bytes:
    return _core.resource_metadata(
        resource_url(scope, endpoint_path),
        [str(s) for s in mcp_settings.MCP_AUTH_AUTHORIZATION_SERVERS],
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

    async def admit(self, scope: dict[str, Any], endpoint_path: str) -> _core.Response | None:
        """Sets ``scope["user"]`` and ``scope["mcp.auth"]``; returns the refusal
        to send instead of serving the request, or None."""
        refused = self.host_refusal(scope)
        if refused is not None:
            return refused
        request = AuthRequest(scope, resource_url(scope, endpoint_path))
        user, info = None, None
        given = scope.get("user")
        if given is not None and getattr(given, "is_authenticated", False):
            user, info = given, scope.get("mcp.auth") or AuthInfo("scope")
        else:
            try:
                for auth in self.classes:
                    found = await auth.authenticate(request)
                    if found is not None:
                        user, info = found
                        break
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
        user = scope.get("user")
        info: AuthInfo | None = scope.get("mcp.auth")
        granted = info.scopes if info is not None else None
        for call in plan.calls:
            function = self.app.function_for(call)
            access = function.access if function is not None else None
            if access is None:
                continue
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
                    scope=" ".join(access.scopes),
                    error="insufficient_scope",
                )
        return None


def _anonymous() -> Any:
    try:
        from django.contrib.auth.models import AnonymousUser
    except (ImportError, RuntimeError):
        return None
    return AnonymousUser()
