"""Who is calling: authentication classes named in MCP_AUTHENTICATION_CLASSES
(the way Django REST framework names them), tried in order for every request
to the MCP endpoints.

* ``SessionAuthentication``: Django's session cookie, with Django's CSRF check
  (a cookie travels with cross-site requests; a CSRF token does not).
* ``TokenAuthentication``: API tokens kept hashed in the database
  (``django_mcp.tokens`` in INSTALLED_APPS; ``manage.py mcp_token``).
* ``OAuth2Authentication``: access tokens issued by django-oauth-toolkit.
* ``JWTAuthentication``: JWT access tokens verified against a JWKS URL.

A class returns ``(user, AuthInfo)``, returns None to let the next one try, or
raises ``AuthenticationFailed``. A bearer token no class accepts is refused
with 401; a request with no credentials is anonymous, and gets 401 only when
``MCP_AUTH_REQUIRED`` is set or what it calls needs a user.
"""

from __future__ import annotations

from .authentication import (
    AuthenticationFailed,
    AuthInfo,
    AuthRequest,
    BaseAuthentication,
    JWTAuthentication,
    OAuth2Authentication,
    SessionAuthentication,
    TokenAuthentication,
    TokenUser,
)

__all__ = [
    "AuthInfo",
    "AuthRequest",
    "AuthenticationFailed",
    "BaseAuthentication",
    "JWTAuthentication",
    "OAuth2Authentication",
    "SessionAuthentication",
    "TokenAuthentication",
    "TokenUser",
]
