"""Settings for the example project: SQLite, nothing else to set up."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django_mcp",
    "django_mcp.tokens",
    # This site as the OAuth server MCP clients discover from the endpoint's URL
    # (see docs/authentication.md, "Connect Claude, ChatGPT, Cursor...").
    "oauth2_provider",
    "django_mcp.oauth",
    "rest_framework",
    "django_filters",
    "demo",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

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

ROOT_URLCONF = "example_project.urls"
ASGI_APPLICATION = "example_project.asgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EXAMPLE_DB", BASE_DIR / "db.sqlite3"),
    }
}

USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MCP_SERVER_TITLE = "django-mcp example"
MCP_SERVER_INSTRUCTIONS = (
    "Counters, greetings and arithmetic, and your customers, invoices and line items, "
    "from the django-mcp example project."
)
# Who is calling: API tokens (`python manage.py mcp_token create <username>`),
# sent as `Authorization: Bearer mcp_...`. Requests without one stay anonymous;
# only tools with access rules (my_profile) need a user.
# And OAuth access tokens this site issues to MCP clients (Claude, ChatGPT,
# Cursor...) after the user logs in at /accounts/login/ and allows them.
MCP_AUTHENTICATION_CLASSES = ["django_mcp.auth.TokenAuthentication", "django_mcp.auth.OAuth2Authentication"]
MCP_AUTH_SCOPES_SUPPORTED = ["mcp"]
OAUTH2_PROVIDER = {"SCOPES": {"mcp": "Use the example's tools"}}
# Tests switch between JSON and event-stream answers with this variable.
MCP_HTTP_JSON_RESPONSE = os.environ.get("MCP_HTTP_JSON_RESPONSE", "") == "1"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_mcp": {"handlers": ["console"], "level": "INFO"}},
}

REST_FRAMEWORK = {
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
}
