"""A mount with a mistake in its base path, for the E003 system check test."""

from django.core.asgi import get_asgi_application

from django_mcp import mount_mcp_server

application = mount_mcp_server(django_http_app=get_asgi_application(), mcp_base_path="/mcp/<bogus:team>")
