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
    "django_mcp",
    "django_mcp.tokens",
    "rest_framework",
    "django_filters",
    "demo",
    "billing",
]

MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
]

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
MCP_AUTHENTICATION_CLASSES = ["django_mcp.auth.TokenAuthentication"]
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
