"""Client ID Metadata Documents: a client whose ``client_id`` is an https URL
publishes its metadata there; the document is fetched on first sight, checked
(its ``client_id`` is its own URL, public client, authorization code, redirect
URIs this server accepts), kept as an Application row for as long as its HTTP
caching headers allow, and fetched again after.

The URL is the client's choice, so the fetch must not reach this server's own
network: django-oauth-toolkit's fetcher resolves the host once, refuses
private, loopback, link-local (169.254.169.254) and other non-public
addresses, connects to the address it checked, follows no redirects and caps
time and size. Hosts named in ``MCP_OAUTH_CLIENT_METADATA_ALLOWED_HOSTS`` are
trusted to live on such addresses (an intranet, the tests) and are fetched with
httpx under the same limits.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http.request import validate_host
from django.utils import timezone
from oauth2_provider import cimd
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings

from ..conf import mcp_settings
from .redirects import full_clean, redirect_uri_problem

logger = logging.getLogger("django_mcp")

#: A bad document is not fetched again for this long (a flood of bad URLs costs one fetch each per minute).
FAILURE_BACKOFF_SECONDS = 60


class DocumentRefused(Exception):
    """The document could not be fetched or is not acceptable; the client is then unknown."""


def is_document_url(client_id: str) -> bool:
    return cimd.is_cimd_client_id(client_id)


def is_stale(application: Any) -> bool:
    expires = getattr(application, "cimd_expires_at", None)
    return (
        application.registration_source == application.RegistrationSource.CIMD
        and expires is not None
        and timezone.now() > expires
    )


def resolve(client_id: str) -> Any:
    """The Application for a metadata document URL, fetched and saved; None when refused."""
    backoff = "django_mcp:oauth:cimd-failed:" + hashlib.sha256(client_id.encode()).hexdigest()
    if cache.get(backoff):
        return None
    try:
        return _save(client_id, *fetch(client_id))
    except DocumentRefused as e:
        logger.warning("Client metadata document %s refused: %s", client_id, e)
    except Exception:
        logger.exception("Client metadata document %s could not be used", client_id)
    cache.set(backoff, True, FAILURE_BACKOFF_SECONDS)
    return None


def fetch(client_id: str) -> tuple[dict[str, Any], int]:
    """The document and the seconds it may be cached."""
    try:
        parts = cimd._validate_client_id_url(client_id)
        if validate_host(parts.hostname, list(mcp_settings.MCP_OAUTH_CLIENT_METADATA_ALLOWED_HOSTS)):
            return _fetch_from_allowed_host(client_id)
        return cimd.SafeMetadataFetcher().fetch(client_id)
    except cimd.CIMDError as e:
        raise DocumentRefused(str(e)) from None


def _fetch_from_allowed_host(client_id: str) -> tuple[dict[str, Any], int]:
    import httpx

    limit = int(oauth2_settings.CIMD_MAX_DOCUMENT_SIZE)
    try:
        with httpx.stream(
            "GET",
            client_id,
            headers={"Accept": "application/json"},
            follow_redirects=False,
            timeout=float(oauth2_settings.CIMD_FETCH_TIMEOUT_SECONDS),
        ) as response:
            if response.status_code != 200:
                raise DocumentRefused(f"HTTP {response.status_code}")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limit:
                    raise DocumentRefused(f"the document is larger than {limit} bytes")
    except httpx.HTTPError as e:
        raise DocumentRefused(f"could not fetch the document: {e}") from None
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise DocumentRefused(f"the document is not JSON ({media_type!r})")
    try:
        document = json.loads(body)
    except ValueError:
        raise DocumentRefused("the document is not valid JSON") from None
    if not isinstance(document, dict):
        raise DocumentRefused("the document is not a JSON object")
    return document, cimd._effective_max_age(response.headers.get("cache-control"))


def _save(client_id: str, document: dict[str, Any], max_age: int) -> Any:
    if document.get("client_id") != client_id:
        raise DocumentRefused("the document's client_id is not its URL")
    try:
        fields = cimd._build_application_kwargs(document)
    except cimd.CIMDError as e:
        raise DocumentRefused(str(e)) from None
    if fields["authorization_grant_type"] != "authorization-code":
        raise DocumentRefused("only the authorization_code grant is supported")
    for uri in fields["redirect_uris"].split():
        problem = redirect_uri_problem(uri)
        if problem:
            raise DocumentRefused(f"redirect URI {uri!r}: {problem}")
    Application = get_application_model()
    application = Application.objects.filter(client_id=client_id).first() or Application(client_id=client_id)
    if application.pk and application.registration_source != Application.RegistrationSource.CIMD:
        raise DocumentRefused("another application already has this client_id")
    application.user = None
    application.client_type = Application.CLIENT_PUBLIC
    application.registration_source = Application.RegistrationSource.CIMD
    application.cimd_expires_at = timezone.now() + timedelta(seconds=max_age)
    for name, value in fields.items():
        setattr(application, name, value)
    if not application.name:
        application.name = urlsplit(client_id).hostname or client_id
    try:
        full_clean(application, exclude=["client_secret"], validate_unique=False)
        application.save()
    except ValidationError as e:
        raise DocumentRefused("; ".join(e.messages)) from None
    except IntegrityError:  # the same URL saved by a concurrent request
        application = Application.objects.get(client_id=client_id)
    return application
