"""Mounts exercising every path converter; everything else reaches Django."""

import os

import django
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")
django.setup()

from django_mcp import mount_mcp_server  # noqa: E402

django_app = get_asgi_application()
application = django_app
for base in [
    "/mcp",
    "/slug/<slug:user_uuid>",
    "/typed/<int:number>/<uuid:key>/<name>",
    "/files/<path:rest>",
]:
    application = mount_mcp_server(django_http_app=application, mcp_base_path=base)

# Transports with sessions, for handshake-era clients: stateful Streamable HTTP
# and the HTTP+SSE transport on one mount.
for base in ["/stateful", "/bound/<slug:user_uuid>", "/named/<name>"]:
    application = mount_mcp_server(django_http_app=application, mcp_base_path=base, transport_type=["http", "sse"])
