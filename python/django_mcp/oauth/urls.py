"""``path("", include("django_mcp.oauth.urls"))`` in the root URLconf: the
metadata must be at the site's root (``/.well-known/oauth-authorization-server``,
and the same document at the OpenID Connect discovery path, where some clients
look first)."""

from django.urls import path

from . import views

app_name = "django_mcp_oauth"

urlpatterns = [
    path(".well-known/oauth-authorization-server", views.metadata, name="metadata"),
    path(".well-known/openid-configuration", views.metadata, name="openid-configuration"),
    path("oauth/authorize/", views.AuthorizeView.as_view(), name="authorize"),
    path("oauth/token/", views.TokenView.as_view(), name="token"),
    path("oauth/revoke/", views.RevokeTokenView.as_view(), name="revoke"),
    path("oauth/register/", views.RegistrationView.as_view(), name="register"),
    path("oauth/clients/", views.connected_clients, name="clients"),
    path("oauth/clients/<int:pk>/disconnect/", views.disconnect_client, name="disconnect"),
]
