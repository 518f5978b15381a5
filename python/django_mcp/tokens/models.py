"""API tokens: only a SHA-256 digest is stored; the token itself is shown once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

#: mcp_<prefix>_<secret>: the prefix finds the row, the digest proves the secret.
PREFIX_LEN = 8


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class APITokenManager(models.Manager["APIToken"]):
    def issue(
        self, user: Any, name: str, scopes: Iterable[str] = (), expires: datetime | None = None
    ) -> tuple[APIToken, str]:
        """Creates a token; returns the row and the token text (not stored anywhere)."""
        prefix = secrets.token_hex(PREFIX_LEN // 2)
        token = f"mcp_{prefix}_{secrets.token_urlsafe(32)}"
        row = self.create(
            user=user, name=name, prefix=prefix, digest=_digest(token), scopes=" ".join(scopes), expires=expires
        )
        return row, token

    async def averify(self, token: str) -> APIToken | None:
        """The live token row for ``token`` (its user loaded), else None; notes its use."""
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != "mcp" or len(parts[1]) != PREFIX_LEN:
            return None
        row = await self.select_related("user").filter(prefix=parts[1]).afirst()
        if row is None or not hmac.compare_digest(row.digest, _digest(token)) or not row.is_live:
            return None
        if not row.user.is_active:
            return None
        now = timezone.now()
        if row.last_used is None or (now - row.last_used).total_seconds() > 60:
            await self.filter(pk=row.pk).aupdate(last_used=now)
        return row


class APIToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mcp_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. the client that uses it.")
    prefix = models.CharField(max_length=PREFIX_LEN, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    scopes = models.CharField(max_length=500, blank=True, help_text="Space-separated scopes the token grants.")
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    expires = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    objects = APITokenManager()

    class Meta:
        verbose_name = "MCP API token"
        ordering = ["-created"]  # noqa: RUF012 - Django reads Meta once; the migration has this list

    def __str__(self) -> str:
        return f"{self.name} (mcp_{self.prefix}_…)"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    @property
    def is_live(self) -> bool:
        now = timezone.now()
        return self.revoked is None and (self.expires is None or self.expires > now)

    def revoke(self) -> None:
        if self.revoked is None:
            self.revoked = timezone.now()
            self.save(update_fields=["revoked"])
