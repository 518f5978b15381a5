"""The test project with the audit log and rate limits on, counting in the
Redis that MCP_TEST_REDIS_URL names (the operations tests run two processes)."""

import copy

from .auth_settings import *  # noqa: F403
from .auth_settings import INSTALLED_APPS, MIDDLEWARE, TEMPLATES, os

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.admin", "django.contrib.messages", "opsapp"]
MIDDLEWARE = [*MIDDLEWARE, "django.contrib.messages.middleware.MessageMiddleware"]
TEMPLATES = copy.deepcopy(TEMPLATES)
TEMPLATES[0]["OPTIONS"]["context_processors"].append("django.contrib.messages.context_processors.messages")
ROOT_URLCONF = "testproject.ops_urls"
MCP_AUTHENTICATION_CLASSES = [
    "django_mcp.auth.SessionAuthentication",
    "django_mcp.auth.TokenAuthentication",
    "django_mcp.auth.OAuth2Authentication",
]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["MCP_TEST_REDIS_URL"],
    }
}
MCP_AUDIT_ENABLED = True
MCP_AUDIT_REDACT = {"tool:sign_in": ["options"]}
# Per hour, so that no window ends in the middle of a test.
MCP_THROTTLE_RATES = {"user": "60/hour", "tool:limited": "4/hour", "global": "10000/hour"}
MCP_HTTP_REQUEST_TIMEOUT = 1.0
