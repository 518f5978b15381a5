"""The test project with authentication on: sessions, API tokens,
django-oauth-toolkit and JWTs (MCP_TEST_JWKS_URL names the JWKS)."""

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS, os

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "django.contrib.sessions",
    "django_mcp.tokens",
    "oauth2_provider",
    "authapp",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "testproject.auth_urls"
SECRET_KEY = "auth-tests-secret-key-that-is-long-enough-for-hmac-0123456789"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests

MCP_AUTHENTICATION_CLASSES = [
    "django_mcp.auth.SessionAuthentication",
    "django_mcp.auth.TokenAuthentication",
    "django_mcp.auth.OAuth2Authentication",
    "django_mcp.auth.JWTAuthentication",
]
MCP_AUTH_AUTHORIZATION_SERVERS = ["https://issuer.test"]
MCP_AUTH_SCOPES_SUPPORTED = ["invoices:read", "tools"]
MCP_AUTH_JWKS_URL = os.environ.get("MCP_TEST_JWKS_URL")
MCP_AUTH_JWT_ISSUER = "https://issuer.test"
MCP_AUTH_REQUIRED = os.environ.get("MCP_TEST_AUTH_REQUIRED") == "1"
OAUTH2_PROVIDER = {"SCOPES": {"invoices:read": "Read invoices", "tools": "Use tools"}, "PKCE_REQUIRED": False}
# Verified tokens are remembered this long (the tests of revocation wait for it).
MCP_AUTH_CACHE_SECONDS = float(os.environ.get("MCP_TEST_AUTH_CACHE_SECONDS", "1"))
