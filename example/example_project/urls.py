from billing.api import LineItemViewSet
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.routers import DefaultRouter

router = DefaultRouter()
router.register("line-items", LineItemViewSet, basename="line-item")


def home(request):
    return HttpResponse(
        "django-mcp example: MCP is served at /mcp/http and /mcp/<user_uuid>/http\n", content_type="text/plain"
    )


urlpatterns = [
    path("", home),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    # /.well-known/oauth-authorization-server and /oauth/...: MCP clients connect with just the URL.
    path("", include("django_mcp.oauth.urls")),
    # The billing app's DRF API (also exposed as MCP tools: billing/mcp.py).
    path("api/", include(router.urls)),
]
