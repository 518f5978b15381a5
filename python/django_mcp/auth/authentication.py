"""The authentication classes and what they return."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from http.cookies import SimpleCookie
from typing import Any

from asgiref.sync import sync_to_async

from ..conf import mcp_settings

logger = logging.getLogger("django_mcp")


class AuthenticationFailed(Exception):
    """Credentials were presented and are not good: 401 with ``invalid_token``
    (or the given status and error)."""

    def __init__(self, description: str, *, error: str = "invalid_token", status: int = 401) -> None:
        super().__init__(description)
        self.description, self.error, self.status = description, error, status


@dataclass(frozen=True)
class AuthInfo:
    """How a request was authenticated."""

    #: "session", "token", "oauth2", "jwt", or "scope" (a user the ASGI scope already carried).
    method: str
    #: Scopes the credential grants; None when it is not scoped (session, channels).
    scopes: frozenset[str] | None = None
    #: The verified claims or token record, for your own checks.
    claims: Mapping[str, Any] = field(default_factory=dict)
    #: When the credential stops being valid (None: it does not expire by itself).
    expires: datetime | None = None


class TokenUser:
    """An authenticated caller with no Django user row (a JWT subject with no
    matching user, an OAuth client acting for itself). Has no permissions."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = id = None

    def __init__(self, username: str) -> None:
        self.username = username

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perms: Any, obj: Any = None) -> bool:
        return False

    def __str__(self) -> str:
        return self.username

    def __repr__(self) -> str:
        return f"<TokenUser {self.username!r}>"


class AuthRequest:
    """What authentication classes see of a request: its ASGI scope, headers,
    cookies, bearer token and (built on demand) a Django HttpRequest."""

    def __init__(self, scope: Mapping[str, Any], resource: str) -> None:
        self.scope = scope
        #: The URL of the MCP endpoint the request came to (a JWT's expected audience).
        self.resource = resource

    @cached_property
    def headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in self.scope.get("headers", ()):
            out[name.decode("latin-1").lower()] = value.decode("latin-1")
        return out

    @cached_property
    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except Exception:
            return {}
        return {k: m.value for k, m in jar.items()}

    @cached_property
    def bearer(self) -> str | None:
        """The token of ``Authorization: Bearer <token>``, else None."""
        value = self.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    def django_request(self) -> Any:
        from io import BytesIO

        from django.core.handlers.asgi import ASGIRequest

        return ASGIRequest(dict(self.scope), BytesIO(b""))


class BaseAuthentication:
    async def authenticate(self, request: AuthRequest) -> tuple[Any, AuthInfo] | None:
        raise NotImplementedError


class SessionAuthentication(BaseAuthentication):
    """Django's session cookie (the user logged in to your site), with Django's
    CSRF protection: a request authenticated by cookie must carry the CSRF
    token (``X-CSRFToken``) and pass Django's Origin and Referer checks."""

    async def authenticate(self, request: AuthRequest) -> tuple[Any, AuthInfo] | None:
        from django.conf import settings

        if settings.SESSION_COOKIE_NAME not in request.cookies:
            return None
        django_request = request.django_request()
        user = await sync_to_async(_session_user)(django_request)
        if not user.is_authenticated:
            return None
        reason = await sync_to_async(_csrf_refusal)(django_request)
        if reason is not None:
            raise AuthenticationFailed(f"CSRF Failed: {reason}", error="invalid_request", status=403)
        return user, AuthInfo("session")


def _session_user(django_request: Any) -> Any:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import get_user

    engine = import_module(settings.SESSION_ENGINE)
    django_request.session = engine.SessionStore(django_request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    return get_user(django_request)


def _csrf_refusal(django_request: Any) -> str | None:
    """Django's own CSRF check (CsrfViewMiddleware), as DRF runs it: the reason
    it would refuse the request, or None."""
    from django.middleware.csrf import CsrfViewMiddleware

    class Check(CsrfViewMiddleware):
        def _reject(self, request: Any, reason: str) -> Any:
            return reason

    check = Check(lambda request: None)
    check.process_request(django_request)
    return check.process_view(django_request, None, (), {})


class TokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer mcp_...`` tokens from ``django_mcp.tokens``."""

    async def authenticate(self, request: AuthRequest) -> tuple[Any, AuthInfo] | None:
        token = request.bearer
        if token is None or not token.startswith("mcp_"):
            return None
        from ..tokens.models import APIToken

        record = await APIToken.objects.averify(token)
        if record is None:
            raise AuthenticationFailed("the API token is unknown, revoked or expired")
        return record.user, AuthInfo(
            "token", frozenset(record.scope_list), {"token": record.prefix, "name": record.name}, record.expires
        )


class OAuth2Authentication(BaseAuthentication):
    """Access tokens issued by django-oauth-toolkit (``oauth2_provider``): not
    expired, and, when the token was requested for specific resources (RFC
    8707 ``resource``), issued for this endpoint."""

    async def authenticate(self, request: AuthRequest) -> tuple[Any, AuthInfo] | None:
        token = request.bearer
        if token is None:
            return None
        found = await sync_to_async(_oauth2_token)(token)
        if found is None:
            return None  # not one of ours: another class may know it
        if found.is_expired():
            raise AuthenticationFailed("the access token has expired")
        # RFC 8707: a token bound to resources (the token request's `resource`)
        # must name this endpoint; django-oauth-toolkit's validator decides.
        allows = getattr(found, "allows_audience", None)
        if allows is not None and not allows(request.resource):
            raise AuthenticationFailed("the access token was issued for another resource (audience)")
        user = found.user if found.user is not None else TokenUser(f"client:{found.application.client_id}")
        claims = {"application": found.application.client_id if found.application else None}
        return user, AuthInfo("oauth2", frozenset(found.scope.split()), claims, found.expires)


def _oauth2_token(token: str) -> Any:
    from oauth2_provider.models import get_access_token_model

    model = get_access_token_model()
    tokens = model.objects.select_related("user", "application")
    if any(f.name == "token_checksum" for f in model._meta.get_fields()):
        return tokens.filter(token_checksum=hashlib.sha256(token.encode()).hexdigest()).first()
    return tokens.filter(token=token).first()


_jwks_clients: dict[str, Any] = {}


class JWTAuthentication(BaseAuthentication):
    """JWT access tokens signed by keys published at MCP_AUTH_JWKS_URL.

    The signature, ``exp``, ``iss`` (MCP_AUTH_JWT_ISSUER) and ``aud`` are
    verified; the audience must be MCP_AUTH_JWT_AUDIENCE, or by default this
    endpoint's own URL (RFC 8707: a token meant for another server is refused).
    The user is the Django user whose username is the ``sub`` claim, else a
    ``TokenUser``; scopes come from ``scope`` (or ``scp``).
    """

    async def authenticate(self, request: AuthRequest) -> tuple[Any, AuthInfo] | None:
        token = request.bearer
        if token is None or token.count(".") != 2 or not mcp_settings.MCP_AUTH_JWKS_URL:
            return None
        import jwt

        url = str(mcp_settings.MCP_AUTH_JWKS_URL)
        client = _jwks_clients.get(url)
        if client is None:
            client = _jwks_clients[url] = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)
        audience = mcp_settings.MCP_AUTH_JWT_AUDIENCE or request.resource
        try:
            key = await sync_to_async(client.get_signing_key_from_jwt, thread_sensitive=False)(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=list(mcp_settings.MCP_AUTH_JWT_ALGORITHMS),
                audience=audience,
                issuer=mcp_settings.MCP_AUTH_JWT_ISSUER or None,
                options={"require": ["exp", "aud", "sub"]},
                leeway=5,
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationFailed("the access token has expired") from None
        except jwt.InvalidAudienceError:
            raise AuthenticationFailed("the access token was issued for another resource (audience)") from None
        except jwt.InvalidIssuerError:
            raise AuthenticationFailed("the access token comes from an issuer this server does not trust") from None
        except jwt.PyJWKClientConnectionError as e:
            logger.error("Could not fetch the JWKS from %s: %s", url, e)
            raise AuthenticationFailed(
                "the access token's signing keys could not be fetched", error="temporarily_unavailable"
            ) from None
        except jwt.PyJWTError as e:
            raise AuthenticationFailed(f"the access token is not valid ({e})") from None
        scopes = claims.get("scope")
        scope_list = scopes.split() if isinstance(scopes, str) else list(claims.get("scp") or [])
        user = await _user_named(str(claims["sub"]))
        expires = datetime.fromtimestamp(int(claims["exp"]), tz=timezone.utc)
        return user, AuthInfo("jwt", frozenset(scope_list), claims, expires)


async def _user_named(username: str) -> Any:
    from django.contrib.auth import get_user_model

    model = get_user_model()
    found = await model._default_manager.filter(**{model.USERNAME_FIELD: username}).afirst()
    return found if found is not None else TokenUser(username)
