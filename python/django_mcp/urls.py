"""``path("mcp/", include("django_mcp.urls"))``: MCP through Django's views
(see django_mcp.views for what that trades away)."""

from django.urls import path

from . import views

app_name = "django_mcp"

urlpatterns = [
    path("http", views.mcp_endpoint, name="endpoint"),
    path("health", views.health, name="health"),
]
