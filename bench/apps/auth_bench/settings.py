"""A Django project with a database and authentication, for bench/auth.py:
what an authenticated call, and a tool doing one ORM query, cost beside the
anonymous call and beside Django REST framework doing the same query.

Env: BENCH_DB (the SQLite file, made by bench/auth.py), BENCH_AUTH_CACHE
(MCP_AUTH_CACHE_SECONDS; default 5), BENCH_POSTGRES (a PostgreSQL database
URL to use instead) and BENCH_POSTGRES_POOL=1 (Django's connection pool). Session cookies, API tokens and
django-oauth-toolkit tokens (when installed) authenticate. For bench/operations.py: BENCH_AUDIT=1 turns
the audit log on, BENCH_THROTTLE=1 rate limits per caller and for all callers (rates no call reaches),
counted in the Redis that BENCH_REDIS names (else in this process).
"""

import importlib.util
import os
from urllib.parse import urlsplit

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
HAS_DRF = importlib.util.find_spec("rest_framework") is not None
HAS_OAUTH = importlib.util.find_spec("oauth2_provider") is not None
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_mcp",
    "django_mcp.tokens",
    "django_mcp.audit",
    *(["rest_framework", "rest_framework.authtoken"] if HAS_DRF else []),
    *(["oauth2_provider"] if HAS_OAUTH else []),
]
MIDDLEWARE = []
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("BENCH_DB", ":memory:")}}
if os.environ.get("BENCH_POSTGRES"):  # postgresql://user@host:port/name (bench/auth.py --postgres)
    url = urlsplit(os.environ["BENCH_POSTGRES"])
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": url.path.lstrip("/"),
        "USER": url.username or "",
        "PASSWORD": url.password or "",
        "HOST": url.hostname or "",
        "PORT": url.port or "",
        # Django's connection pool (psycopg_pool) with BENCH_POSTGRES_POOL=1.
        "OPTIONS": {"pool": True} if os.environ.get("BENCH_POSTGRES_POOL") == "1" else {},
    }
ROOT_URLCONF = "auth_bench.urls"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MCP_HTTP_JSON_RESPONSE = True
MCP_AUTHENTICATION_CLASSES = [
    "django_mcp.auth.SessionAuthentication",
    "django_mcp.auth.TokenAuthentication",
    *(["django_mcp.auth.OAuth2Authentication"] if HAS_OAUTH else []),
]
MCP_AUTH_CACHE_SECONDS = float(os.environ.get("BENCH_AUTH_CACHE", "5"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

MCP_AUDIT_ENABLED = os.environ.get("BENCH_AUDIT") == "1"
if os.environ.get("BENCH_THROTTLE") == "1":
    MCP_THROTTLE_RATES = {"user": "1000000000/min", "global": "1000000000/min"}
if os.environ.get("BENCH_REDIS"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["BENCH_REDIS"]}
    }
