"""Settings for the test project served by tests/python (SQLite in a temp file)."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_mcp",
    "django_mcp.explorer",
    # The audit log's table exists; MCP_AUDIT_ENABLED turns the recording on.
    "django_mcp.audit",
    "testapp",
]
ROOT_URLCONF = "testproject.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("TEST_DB", ":memory:")}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Templates of the apps (the explorer's, the login page of the authentication tests).
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

MCP_SERVER_NAME = "testproject"
MCP_SERVER_TITLE = "Test Project Server"
MCP_SERVER_VERSION = "9.8.7"
MCP_SERVER_INSTRUCTIONS = "Tools for django-mcp's own tests."
MCP_HTTP_JSON_RESPONSE = os.environ.get("MCP_HTTP_JSON_RESPONSE", "") == "1"
MCP_HTTP_MAX_REQUEST_SIZE = 64 * 1024
MCP_HTTP_REQUEST_TIMEOUT = float(os.environ.get("MCP_HTTP_REQUEST_TIMEOUT", "30"))
MCP_LOG_LEVEL = "DEBUG"
MCP_HTTP_SSE_KEEPALIVE = 0.5

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {"django_mcp": {"handlers": ["console"], "level": "DEBUG", "propagate": False}},
}

# The "ops" server of the tests turns on the optional HTTP features.
if os.environ.get("MCP_TEST_OPS") == "1":
    MCP_HTTP_CORS_ENABLED = True
    MCP_HTTP_CORS_ORIGINS = ["https://app.example.org"]
    MCP_HTTP_ENABLE_METRICS = True
    MCP_HTTP_METRICS_PATH = "/prometheus"
    MCP_HTTP_HEALTH_CHECK_PATH = "/alive"
if os.environ.get("MCP_TEST_NO_COMPRESSION") == "1":
    MCP_HTTP_ENABLE_COMPRESSION = False

# Sessions in Redis (the multi-node tests): MCP_TEST_REDIS_URL names the server.
if os.environ.get("MCP_TEST_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["MCP_TEST_REDIS_URL"],
        }
    }
    MCP_SESSION_STORE = "cache"
if os.environ.get("MCP_TEST_SESSION_TTL"):
    MCP_HTTP_SESSION_TTL = float(os.environ["MCP_TEST_SESSION_TTL"])
    MCP_HTTP_SESSION_CLEANUP_INTERVAL = float(os.environ["MCP_TEST_SESSION_TTL"]) / 2
if os.environ.get("MCP_TEST_SESSION_CHECK") == "missing-alias":
    MCP_SESSION_STORE = "cache"
    MCP_SESSION_CACHE_ALIAS = "sessions"
elif os.environ.get("MCP_TEST_SESSION_CHECK") == "locmem":
    MCP_SESSION_STORE = "cache"
elif os.environ.get("MCP_TEST_SESSION_CHECK") == "filebased":  # shared, but not Redis
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": "/tmp/mcp"}}
    MCP_SESSION_STORE = "cache"

# Any setting, from the tests: MCP_TEST_SETTINGS='{"MCP_LOG_LEVEL": "WARNING"}'.
import json as _json  # noqa: E402

globals().update(_json.loads(os.environ.get("MCP_TEST_SETTINGS", "{}")))
if os.environ.get("MCP_TEST_BAD_MOUNT") == "1":
    ASGI_APPLICATION = "testproject.bad_asgi.application"
