import os

import django
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolsets_bench.settings")
django.setup()

from django_mcp import mount_mcp_server  # noqa: E402

application = mount_mcp_server(django_http_app=get_asgi_application(), mcp_base_path="/mcp")
