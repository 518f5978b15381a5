"""``path("mcp/", include("django_mcp.explorer.urls"))``: the explorer at
``/mcp/``, for the endpoint ``/mcp/http``.

Served elsewhere, name the endpoint:
``path("tools/", include("django_mcp.explorer.urls"), {"endpoint": "/mcp/http"})``.
"""

from django.urls import path

from . import views

app_name = "django_mcp_explorer"

urlpatterns = [
    path("", views.ExplorerView.as_view(), name="explorer"),
    path("assets/<str:name>", views.asset, name="asset"),
]
