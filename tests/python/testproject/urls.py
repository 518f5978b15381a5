from django.http import HttpResponse
from django.urls import include, path


def echo(request, rest=""):
    return HttpResponse(f"django saw {request.path}", content_type="text/plain")


urlpatterns = [
    # MCP through Django's views (runserver, WSGI); the mounts in asgi.py answer first under ASGI.
    path("viaurls/<slug:user_uuid>/", include("django_mcp.urls")),
    path("", echo),
    path("<path:rest>", echo),
]
