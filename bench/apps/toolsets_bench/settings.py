"""A Django project with one model, listed through a ModelToolset (MCP) and
through a DRF ListAPIView (HTTP), for bench/toolsets.py. SQLite in BENCH_DB."""

import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "django_mcp",
    "toolsets_bench",
]
MIDDLEWARE = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("BENCH_DB", ":memory:")}}
ROOT_URLCONF = "toolsets_bench.urls"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
MCP_HTTP_JSON_RESPONSE = True
MCP_LOG_TOOL_REGISTRATION = False
# Both sides anonymous: the bench compares listing, not authentication.
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": [], "DEFAULT_PERMISSION_CLASSES": [], "UNAUTHENTICATED_USER": None}
