import os

import django
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
django.setup()

from django_mcp import mount_mcp_server  # noqa: E402

# CONFORMANCE_TRANSPORT=http serves the same tools with sessions (the SSE
# polling and multiple-streams scenarios need them).
transport = os.environ.get("CONFORMANCE_TRANSPORT", "http_stateless")
application = mount_mcp_server(django_http_app=get_asgi_application(), mcp_base_path="/mcp", transport_type=transport)
