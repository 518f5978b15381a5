"""Dynamic Client Registration (RFC 7591) for MCP clients that still use it:
anyone may register, as a public client using the authorization code grant
with PKCE, with redirect URIs this server accepts, a few times per hour per
client address. Registrations are django-oauth-toolkit Applications: the admin
lists them (registration source "dcr") and deletes them."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.models import get_application_model

from ..conf import mcp_settings
from .redirects import full_clean, redirect_uri_problem

logger = logging.getLogger("django_mcp")

#: The counting window of MCP_OAUTH_REGISTRATIONS_PER_HOUR.
WINDOW_SECONDS = 3600
#: Longest client_name kept (the Application's name column).
MAX_NAME_LENGTH = 255


def _error(error: str, description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


def _throttled(request: HttpRequest) -> bool:
    """Counts this registration against the client address; True when over the hourly limit."""
    limit = int(mcp_settings.MCP_OAUTH_REGISTRATIONS_PER_HOUR)
    key = "django_mcp:oauth:registrations:" + request.META.get("REMOTE_ADDR", "unknown")
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count > limit


def _client_fields(metadata: dict[str, Any]) -> dict[str, Any] | JsonResponse:
    """The Application fields for this metadata, or the RFC 7591 error to answer."""
    uris = metadata.get("redirect_uris")
    if not isinstance(uris, list) or not uris:
        return _error("invalid_redirect_uri", "redirect_uris must be a non-empty array")
    for uri in uris:
        problem = redirect_uri_problem(uri)
        if problem:
            return _error("invalid_redirect_uri", f"{uri!r}: {problem}")
    grant_types = metadata.get("grant_types", ["authorization_code"])
    if not isinstance(grant_types, list) or "authorization_code" not in grant_types:
        return _error("invalid_client_metadata", "grant_types must include authorization_code")
    unsupported = [g for g in grant_types if g not in ("authorization_code", "refresh_token")]
    if unsupported:
        return _error("invalid_client_metadata", f"unsupported grant_types: {unsupported}")
    response_types = metadata.get("response_types", ["code"])
    if not isinstance(response_types, list) or any(r != "code" for r in response_types):
        return _error("invalid_client_metadata", "response_types may only be ['code']")
    name = metadata.get("client_name", "")
    if not isinstance(name, str):
        return _error("invalid_client_metadata", "client_name must be a string")
    # Clients asking for a client secret get none (RFC 7591 section 3.2.1 lets
    # the server choose): every registered client is public and uses PKCE.
    return {"redirect_uris": " ".join(uris), "name": name[:MAX_NAME_LENGTH]}


@method_decorator(csrf_exempt, name="dispatch")
class RegistrationView(View):
    http_method_names = ("post", "options")

    def post(self, request: HttpRequest) -> JsonResponse:
        if not mcp_settings.MCP_OAUTH_REGISTRATION_ENABLED:
            return _error("access_denied", "dynamic client registration is turned off on this server", status=403)
        if _throttled(request):
            logger.warning("Client registration refused: too many from %s", request.META.get("REMOTE_ADDR"))
            response = _error("access_denied", "too many registrations from this address; try again later", 429)
            response["Retry-After"] = str(WINDOW_SECONDS)
            return response
        try:
            metadata = json.loads(request.body)
        except ValueError:
            return _error("invalid_client_metadata", "the body must be a JSON object")
        if not isinstance(metadata, dict):
            return _error("invalid_client_metadata", "the body must be a JSON object")
        fields = _client_fields(metadata)
        if isinstance(fields, JsonResponse):
            return fields
        Application = get_application_model()
        application = Application(
            user=None,
            client_type=Application.CLIENT_PUBLIC,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            registration_source=Application.RegistrationSource.DCR,
            **fields,
        )
        try:
            full_clean(application, exclude=["client_secret"])
        except ValidationError as e:
            return _error("invalid_client_metadata", "; ".join(e.messages))
        application.save()
        logger.info("Client %r registered (%s)", application.name, application.client_id)
        body = {
            "client_id": application.client_id,
            "client_id_issued_at": int(application.created.timestamp()),
            "client_name": application.name,
            "redirect_uris": application.redirect_uris.split(),
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }
        if isinstance(metadata.get("scope"), str):
            body["scope"] = metadata["scope"]
        return JsonResponse(body, status=201, headers={"Cache-Control": "no-store"})
