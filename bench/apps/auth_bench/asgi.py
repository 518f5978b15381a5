"""ASGI entry point: Django (the DRF view) with django-mcp mounted at /mcp."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auth_bench.settings")
django_http_app = get_asgi_application()

from auth_bench import tools  # noqa: E402,F401  (registers the tools)
from django_mcp import mount_mcp_server  # noqa: E402

application = mount_mcp_server(django_http_app=django_http_app, mcp_base_path="/mcp")
