"""django-oauth-toolkit's request validator, with what MCP clients and the
MCP authorization spec need on top: PKCE with S256 always, resources limited
to this site's MCP endpoints, the supported scopes, clients identified by a
Client ID Metadata Document URL, and the tokens of a replayed authorization
code or refresh token revoked."""

from __future__ import annotations

import hashlib
from typing import Any

from oauth2_provider.models import get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import get_scopes_backend
from oauthlib.oauth2.rfc6749 import errors

from ..conf import mcp_settings
from . import client_metadata
from .models import RedeemedCode
from .resources import is_site_resource
from .scopes import supported_scopes


def _request_origin(request: Any) -> str:
    """The site's origin for an oauthlib request (whose headers are the Django request's META)."""
    configured = mcp_settings.MCP_AUTH_RESOURCE_ORIGIN
    if configured:
        return str(configured).rstrip("/")
    headers = request.headers
    scheme = "https" if headers.get("X_DJANGO_OAUTH_TOOLKIT_SECURE") == "1" else "http"
    host = headers.get("HTTP_HOST") or f"{headers.get('SERVER_NAME')}:{headers.get('SERVER_PORT')}"
    return f"{scheme}://{host}"


def _script_prefix(request: Any) -> str:
    return str(request.headers.get("SCRIPT_NAME", "") or "")


def check_resources(resources: list[str], origin: str, script_prefix: str, request: Any = None) -> None:
    """Raises ``invalid_target`` (RFC 8707) for a resource that is not one of this site's MCP endpoints."""
    for resource in resources:
        if not is_site_resource(resource, origin, script_prefix):
            raise errors.CustomOAuth2Error(
                error="invalid_target",
                description=f"{resource!r} is not an MCP endpoint of this server",
                request=request,
            )


class MCPOAuth2Validator(OAuth2Validator):
    def is_pkce_required(self, client_id: str, request: Any) -> bool:
        return True

    def validate_scopes(self, client_id: str, scopes: list[str], client: Any, request: Any, *args, **kwargs) -> bool:
        # A scope the toolkit has no description for could not be shown on the consent page.
        described = get_scopes_backend().get_all_scopes()
        return set(scopes) <= {s for s in supported_scopes() if s in described}

    def get_default_scopes(self, client_id: str, request: Any, *args, **kwargs) -> list[str]:
        return supported_scopes()

    def _create_authorization_code(self, request: Any, code: dict, expires: Any = None) -> Any:
        # The consent form carries these in hidden fields: checked again here.
        if request.code_challenge_method != "S256":
            raise errors.InvalidRequestError(description="code_challenge_method must be S256", request=request)
        check_resources(
            getattr(request, "resource", None) or [], _request_origin(request), _script_prefix(request), request
        )
        return super()._create_authorization_code(request, code, expires)

    def _validate_resource_uris(self, request: Any, resources: list[str]) -> None:
        super()._validate_resource_uris(request, resources)
        check_resources(resources, _request_origin(request), _script_prefix(request), request)

    def save_bearer_token(self, token: dict, request: Any, *args: Any, **kwargs: Any) -> None:
        super().save_bearer_token(token, request, *args, **kwargs)
        if request.grant_type == "authorization_code" and request.code:
            family = (
                get_refresh_token_model()
                .objects.filter(token_checksum=hashlib.sha256(token["refresh_token"].encode()).hexdigest())
                .values_list("token_family", flat=True)
                .first()
                if token.get("refresh_token")
                else None
            )
            RedeemedCode.remember(request.code, token["access_token"], family)

    def validate_code(self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any) -> bool:
        if super().validate_code(client_id, code, client, request, *args, **kwargs):
            return True
        # A code used before: whoever holds this copy, the tokens of the first use
        # are no longer safe (RFC 6749 section 4.1.2).
        RedeemedCode.revoke_tokens(code)
        return False

    def validate_refresh_token(self, refresh_token: str, client: Any, request: Any, *args, **kwargs) -> bool:
        if super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return True
        # A refresh token that was already exchanged, presented again, has leaked
        # (or its client is confused): every token descended from the same
        # authorization is revoked (OAuth 2.1 section 4.3.1, rotation for public clients).
        spent = (
            get_refresh_token_model()
            .objects.filter(token_checksum=hashlib.sha256(refresh_token.encode()).hexdigest(), revoked__isnull=False)
            .first()
        )
        if spent is not None and spent.token_family and spent.application_id == getattr(client, "pk", None):
            spent.revoke_family(spent.token_family)
        return False

    def _load_application(self, client_id: str, request: Any) -> Any:
        client = super()._load_application(client_id, request)
        if not (mcp_settings.MCP_OAUTH_CLIENT_METADATA_DOCUMENTS and client_metadata.is_document_url(client_id)):
            return client
        if client is None or client_metadata.is_stale(client):
            fetched = client_metadata.resolve(client_id)
            if fetched is not None:
                client = fetched
            if client is None or not client.is_usable(request):
                return None
            request.client = client
        return client


__all__ = ["MCPOAuth2Validator", "check_resources"]
