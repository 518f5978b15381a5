"""The test project with the billing app: model toolsets and a DRF ViewSet
served over API tokens; PostgreSQL when MCP_TEST_POSTGRES names a database."""

import json

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS, os

INSTALLED_APPS = [*INSTALLED_APPS, "django_mcp.tokens", "rest_framework", "django_filters", "billingapp"]
MCP_AUTHENTICATION_CLASSES = ["django_mcp.auth.TokenAuthentication"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if os.environ.get("MCP_TEST_POSTGRES"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", **json.loads(os.environ["MCP_TEST_POSTGRES"])}}
