"""ASGI entry point: Django's app with django-mcp mounted at /mcp.

POST /mcp/http is the streamable-HTTP endpoint. BENCH_STATEFUL=1 asks for the
stateful transport (sessions.py); a django-mcp without it fails to start here,
which sessions.py reports as a skip.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_bench.settings")
# Set Django up before importing django_mcp, which may read settings.
django_http_app = get_asgi_application()

from django_bench import tools  # noqa: E402,F401  (registers the tools)
from django_mcp import mount_mcp_server  # noqa: E402

extra = {"transport_type": "http"} if os.environ.get("BENCH_STATEFUL") == "1" else {}
application = mount_mcp_server(django_http_app=django_http_app, mcp_base_path="/mcp", **extra)
