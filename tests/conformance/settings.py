"""The server the official MCP conformance suite tests: django-mcp's public
API implementing the suite's fixture tools, resources and prompts."""

import os

SECRET_KEY = "conformance-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
INSTALLED_APPS = ["django_mcp", "everything"]
DATABASES = {}
ROOT_URLCONF = "urls"
USE_TZ = True
MCP_SERVER_NAME = "django-mcp-conformance"
MCP_SERVER_VERSION = "1.0.0"
MCP_HTTP_JSON_RESPONSE = False
MCP_LOG_TOOL_REGISTRATION = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_mcp": {"handlers": ["console"], "level": os.environ.get("CONFORMANCE_LOG_LEVEL", "WARNING")}},
}
