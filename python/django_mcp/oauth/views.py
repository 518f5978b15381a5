"""The authorization server's endpoints: metadata (RFC 8414), authorize with
the site's login and a consent page, token, revocation (RFC 7009), and the
user's list of connected clients."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.http import require_GET, require_POST
from oauth2_provider import views as dot
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.models import get_access_token_model, get_application_model, get_refresh_token_model
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.oauth2.rfc6749 import errors

from ..conf import mcp_settings
from .redirects import allowed_schemes
from .registration import RegistrationView
from .resources import issuer, site_origin
from .scopes import describe, supported_scopes
from .validators import MCPOAuth2Validator, check_resources

#: How clients authenticate at the token and revocation endpoints: registered
#: MCP clients are public ("none"); clients made in the admin may have secrets.
AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]


def _absolute(request: HttpRequest, name: str) -> str:
    path = reverse(f"django_mcp_oauth:{name}")
    if mcp_settings.MCP_AUTH_RESOURCE_ORIGIN:
        return site_origin(request) + path
    return request.build_absolute_uri(path)


@require_GET
def metadata(request: HttpRequest) -> JsonResponse:
    """Authorization Server Metadata (RFC 8414). The same document answers at the
    OpenID Connect discovery path, for clients that look there first; no ID
    tokens are issued, so the fields only OpenID providers have are absent."""
    document: dict[str, Any] = {
        "issuer": issuer(request),
        "authorization_endpoint": _absolute(request, "authorize"),
        "token_endpoint": _absolute(request, "token"),
        "revocation_endpoint": _absolute(request, "revoke"),
        "scopes_supported": supported_scopes(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "client_id_metadata_document_supported": bool(mcp_settings.MCP_OAUTH_CLIENT_METADATA_DOCUMENTS),
    }
    if mcp_settings.MCP_OAUTH_REGISTRATION_ENABLED:
        document["registration_endpoint"] = _absolute(request, "register")
    return JsonResponse(document, headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=300"})


class _MCPServer(OAuthLibMixin):
    """django-oauth-toolkit's views with this package's validator."""

    validator_class = MCPOAuth2Validator

    @classmethod
    def get_oauthlib_core(cls) -> Any:
        # Kept on this very class: the toolkit's own cache is inherited by subclasses.
        core = cls.__dict__.get("_mcp_oauthlib_core")
        if core is None:
            core = cls.get_oauthlib_backend_class()(cls.get_server())
            setattr(cls, "_mcp_oauthlib_core", core)  # noqa: B010
        return core


def _refusal(error: str, description: str, credentials: dict[str, Any]) -> OAuthToolkitError:
    return OAuthToolkitError(
        error=errors.CustomOAuth2Error(error=error, description=description, state=credentials.get("state")),
        redirect_uri=credentials.get("redirect_uri"),
    )


@method_decorator(xframe_options_deny, name="dispatch")  # no consent clicked through an invisible frame
class AuthorizeView(_MCPServer, dot.AuthorizationView):
    """The authorization endpoint: the user logs in through LOGIN_URL (the
    toolkit's LoginRequiredMixin), then allows or denies on the consent page."""

    def get_template_names(self) -> list[str]:
        return [str(mcp_settings.MCP_OAUTH_CONSENT_TEMPLATE)]

    def redirect(self, redirect_to: str, application: Any) -> HttpResponse:
        # The toolkit has checked that redirect_to is one of the application's
        # redirect URIs; an app's own scheme (cursor://...) is allowed too.
        return OAuth2ResponseRedirect(redirect_to, allowed_schemes(application))

    def validate_authorization_request(self, request: HttpRequest) -> tuple[list[str], dict[str, Any]]:
        # The client and its redirect URI are checked first (by the toolkit), so
        # the refusals below go back to a redirect URI the client registered.
        scopes, credentials = super().validate_authorization_request(request)
        if credentials.get("code_challenge_method") != "S256":
            raise _refusal("invalid_request", "PKCE with code_challenge_method S256 is required", credentials)
        try:
            check_resources(request.GET.getlist("resource"), site_origin(request), request.META.get("SCRIPT_NAME", ""))
        except errors.CustomOAuth2Error as e:
            raise _refusal("invalid_target", e.description, credentials) from None
        return scopes, credentials

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        application = context.get("application")
        if application is not None:
            context["client_name"] = application.name or application.client_id
            context["client_host"] = _client_host(application)
        context["scope_descriptions"] = describe(list(context.get("scopes") or []))
        context["resources"] = (context.get("resource") or "").split()
        context["server_name"] = mcp_settings.MCP_SERVER_TITLE or mcp_settings.MCP_SERVER_NAME
        return context


def _client_host(application: Any) -> str:
    """Where the client lives, as the user can check it: the metadata document's
    host, else the host its redirect URIs go to, or the app's own scheme."""
    if application.client_id.startswith("https://"):
        return urlsplit(application.client_id).hostname or ""
    uris = application.redirect_uris.split()
    if not uris:
        return ""
    parts = urlsplit(uris[0])
    if parts.scheme in ("http", "https"):
        return parts.hostname or ""
    return f"{parts.scheme}:"  # an app on the user's device, opened by its scheme


class TokenView(_MCPServer, dot.TokenView):
    pass


class RevokeTokenView(_MCPServer, dot.RevokeTokenView):
    pass


@xframe_options_deny
@login_required
def connected_clients(request: HttpRequest) -> HttpResponse:
    """The clients holding tokens for this user, each with a button to disconnect it."""
    now = timezone.now()
    access = get_access_token_model().objects.filter(user=request.user, expires__gt=now)
    refresh = get_refresh_token_model().objects.filter(user=request.user, revoked__isnull=True)
    ids = set(access.values_list("application_id", flat=True)) | set(refresh.values_list("application_id", flat=True))
    clients = [
        {"application": application, "host": _client_host(application)}
        for application in get_application_model().objects.filter(pk__in=ids).order_by("name")
    ]
    return render(request, "django_mcp/oauth/clients.html", {"clients": clients})


@login_required
@require_POST
def disconnect_client(request: HttpRequest, pk: int) -> HttpResponse:
    """Revokes every token this user gave the client."""
    from oauth2_provider.models import revoke_access_token

    application = get_object_or_404(get_application_model(), pk=pk)
    for token in get_access_token_model().objects.filter(user=request.user, application=application):
        revoke_access_token(token)
    for token in get_refresh_token_model().objects.filter(
        user=request.user, application=application, revoked__isnull=True
    ):
        token.revoke()
    return redirect("django_mcp_oauth:clients")


__all__ = ["AuthorizeView", "RegistrationView", "RevokeTokenView", "TokenView", "connected_clients", "metadata"]
