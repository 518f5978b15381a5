"""What the authorization server keeps beside django-oauth-toolkit's rows."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.db import models
from django.utils import timezone

logger = logging.getLogger("django_mcp")

#: How long a redeemed code is remembered. A code is good for a minute
#: (``AUTHORIZATION_CODE_EXPIRE_SECONDS``); a copy presented later than this
#: is refused all the same, only without revoking what the first use got.
REMEMBERED_FOR = timedelta(days=1)


def _checksum(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class RedeemedCode(models.Model):
    """An authorization code already exchanged, and the tokens it was exchanged
    for. The toolkit deletes a code at its first use; a second use means the code
    has leaked, so the tokens of the first are revoked (RFC 6749 section 4.1.2)."""

    code_checksum = models.CharField(max_length=64, db_index=True)  # SHA-256, as the toolkit stores tokens
    access_token_checksum = models.CharField(max_length=64)
    token_family = models.UUIDField(null=True, blank=True)  # the refresh tokens descended from this code
    redeemed = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "redeemed authorization code"

    @classmethod
    def remember(cls, code: str, access_token: str, token_family: object) -> None:
        cls.objects.filter(redeemed__lt=timezone.now() - REMEMBERED_FOR).delete()
        cls.objects.create(
            code_checksum=_checksum(code), access_token_checksum=_checksum(access_token), token_family=token_family
        )

    @classmethod
    def revoke_tokens(cls, code: str) -> bool:
        """Revokes every token issued for ``code``; False when it was never redeemed (or long ago)."""
        from oauth2_provider.models import get_access_token_model, get_refresh_token_model, revoke_access_token

        redeemed = list(cls.objects.filter(code_checksum=_checksum(code)))
        for row in redeemed:
            for token in get_access_token_model().objects.filter(token_checksum=row.access_token_checksum):
                revoke_access_token(token)
            get_refresh_token_model().revoke_family(row.token_family)
        if redeemed:
            logger.warning("An authorization code was presented again: the tokens issued for it are revoked")
        return bool(redeemed)
