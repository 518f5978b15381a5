"""The test project as its own OAuth authorization server (django_mcp.oauth),
with Django's login form at LOGIN_URL."""

from .auth_settings import *  # noqa: F403
from .auth_settings import BASE_DIR, INSTALLED_APPS, MIDDLEWARE, os

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.messages", "django_mcp.oauth"]
MIDDLEWARE = [*MIDDLEWARE, "django.contrib.messages.middleware.MessageMiddleware"]
ROOT_URLCONF = "testproject.oauth_urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
LOGIN_URL = "/accounts/login/"
MCP_AUTH_AUTHORIZATION_SERVERS = []  # this site is the authorization server
MCP_AUTHENTICATION_CLASSES = ["django_mcp.auth.OAuth2Authentication"]
OAUTH2_PROVIDER = {"SCOPES": {"invoices:read": "Read your invoices", "tools": "Use the tools"}}
# The tests serve client metadata documents from 127.0.0.1 under the name "localhost".
MCP_OAUTH_CLIENT_METADATA_ALLOWED_HOSTS = [h for h in os.environ.get("MCP_TEST_CIMD_HOSTS", "").split(",") if h]
MCP_OAUTH_REGISTRATIONS_PER_HOUR = int(os.environ.get("MCP_TEST_REGISTRATIONS_PER_HOUR", "1000"))
MCP_LOG_TOOL_REGISTRATION = False

# More settings from a test: MCP_TEST_OAUTH_SETTINGS='{"MCP_OAUTH_REGISTRATION_ENABLED": false}'.
import json as _json  # noqa: E402

globals().update(_json.loads(os.environ.get("MCP_TEST_OAUTH_SETTINGS", "{}")))
