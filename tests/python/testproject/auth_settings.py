"""The test project with authentication on: sessions, API tokens,
django-oauth-toolkit and JWTs (MCP_TEST_JWKS_URL names the JWKS)."""

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS, os

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "django.contrib.sessions",
    "django_mcp.tokens",
    "django_mcp.explorer",
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
# Templates for the explorer (django_mcp/explorer/*.html) and the login page (authapp).
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
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
