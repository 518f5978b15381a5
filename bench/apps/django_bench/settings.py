"""Smallest Django project that hosts django-mcp, for the benchmark only.

Env switches (set by bench/systems.py): BENCH_MCP_JSON=1 answers
application/json, 0 answers text/event-stream; BENCH_MCP_OTEL=0 turns
MCP_OPENTELEMETRY off.
"""

import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django_mcp"]
# No middleware and no database: the bench measures django-mcp, not a site.
MIDDLEWARE = []
DATABASES = {}
ROOT_URLCONF = "django_bench.urls"
USE_TZ = True

MCP_HTTP_JSON_RESPONSE = os.environ.get("BENCH_MCP_JSON", "1") == "1"
MCP_OPENTELEMETRY = os.environ.get("BENCH_MCP_OTEL", "1") == "1"
