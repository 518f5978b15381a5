from django.http import HttpResponse
from django.urls import path


def home(request):
    return HttpResponse(
        "django-mcp example: MCP is served at /mcp/http and /mcp/<user_uuid>/http\n", content_type="text/plain"
    )


urlpatterns = [path("", home)]
