from django.http import HttpResponse
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from billing.api import LineItemViewSet

router = DefaultRouter()
router.register("line-items", LineItemViewSet, basename="line-item")


def home(request):
    return HttpResponse(
        "django-mcp example: MCP is served at /mcp/http and /mcp/<user_uuid>/http\n", content_type="text/plain"
    )


urlpatterns = [path("", home), path("api/", include(router.urls))]
