"""ASGI entry point: Django, with MCP mounted in front of it."""

import os

import django
from django.core.asgi import get_asgi_application

from django_mcp import mount_mcp_server

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
django.setup()

django_http_app = get_asgi_application()

# /mcp/<user_uuid>/http passes the slug to tools as ctx.path_params["user_uuid"];
# /mcp/http serves the same tools without one. Anything else reaches Django.
application = mount_mcp_server(
    django_http_app=mount_mcp_server(django_http_app=django_http_app, mcp_base_path="/mcp/<slug:user_uuid>"),
    mcp_base_path="/mcp",
)
