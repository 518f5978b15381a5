"""Verified bearer credentials kept in this process for a few seconds, so that
an authenticated call needs no database query and no thread hop.

A bearer token (API token, OAuth2 access token or JWT) that an authentication
class accepted is remembered, under a digest of the token and the endpoint it
was presented to, for ``MCP_AUTH_CACHE_SECONDS`` at most, and never past the
credential's own expiry. Within that bound a revocation, an expiry or a user's
deactivation made in *another* process is not seen yet; in this process it is
seen at once, because saving or deleting a token or a user empties the cache
(signals connected by the app config). ``MCP_AUTH_CACHE_SECONDS = 0`` turns
caching off. Refusals are never cached.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any

from .authentication import AuthInfo

#: Entries kept at most. A caller who presents many distinct valid tokens only
#: pushes out the oldest entries; an invalid token is never stored.
MAX_ENTRIES = 10_000


class CredentialCache:
    """A bounded, time-limited map from (endpoint, bearer token) to the user
    and ``AuthInfo`` an authentication class returned for it."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[float, Any, AuthInfo]] = OrderedDict()

    @staticmethod
    def key(resource: str, token: str) -> bytes:
        # A digest, so the tokens themselves are not kept in memory longer than the request.
        return hashlib.sha256(f"{resource}\n{token}".encode()).digest()

    def get(self, key: bytes) -> tuple[Any, AuthInfo] | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        until, user, info = entry
        if time.monotonic() >= until:
            self._entries.pop(key, None)
            return None
        return user, info

    def put(self, key: bytes, user: Any, info: AuthInfo, seconds: float) -> None:
        lifetime = min(seconds, _seconds_left(info.expires))
        if lifetime <= 0:
            return
        # Signals may empty the cache from a worker thread at any point: no step
        # here assumes an entry is still there.
        self._entries.pop(key, None)
        self._entries[key] = (time.monotonic() + lifetime, user, info)
        while len(self._entries) > self.max_entries:
            try:
                self._entries.popitem(last=False)
            except KeyError:
                break

    def clear(self, **_signal_kwargs: Any) -> None:
        """Forgets every entry (also a signal receiver: a token or user changed)."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _seconds_left(expires: datetime | None) -> float:
    if expires is None:
        return float("inf")
    return expires.timestamp() - time.time()


#: The process's cache, shared by every mount.
credentials = CredentialCache()


def connect_invalidation() -> None:
    """Empties the cache whenever a user, an API token or an OAuth2 token is
    saved or deleted in this process (called from the app config's ``ready``)."""
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_delete, post_save

    senders: list[Any] = []
    if apps.is_installed("django.contrib.auth"):
        senders.append(get_user_model())
    if apps.is_installed("django_mcp.tokens"):
        senders.append(apps.get_model("django_mcp_tokens", "APIToken"))
    if apps.is_installed("oauth2_provider"):
        from oauth2_provider.models import get_access_token_model, get_refresh_token_model

        senders += [get_access_token_model(), get_refresh_token_model()]
    for sender in senders:
        post_save.connect(credentials.clear, sender=sender, dispatch_uid=f"django_mcp.auth.cache.save.{sender}")
        post_delete.connect(credentials.clear, sender=sender, dispatch_uid=f"django_mcp.auth.cache.delete.{sender}")
