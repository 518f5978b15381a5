"""One row per tool, resource or prompt call."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CallRecord(models.Model):
    """A call to a tool, resource or prompt, as the audit log keeps it."""

    class Kind(models.TextChoices):
        TOOL = "tool", "tool"
        RESOURCE = "resource", "resource"
        PROMPT = "prompt", "prompt"

    class Outcome(models.TextChoices):
        OK = "ok", "ok"
        #: A tool result with isError, or a JSON-RPC error answer.
        ERROR = "error", "error"
        #: The caller may not use it (authentication, permissions, scopes).
        REFUSED = "refused", "refused"
        TIMED_OUT = "timed_out", "timed out"
        CANCELLED = "cancelled", "cancelled"
        RATE_LIMITED = "rate_limited", "rate limited"

    called_at = models.DateTimeField("called at", db_index=True)
    duration_ms = models.FloatField("duration (ms)")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    #: The tool or prompt name, or the resource's URI (or URI template).
    name = models.CharField(max_length=255)
    #: The URI read, for a resource template.
    uri = models.CharField("URI", max_length=2000, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error = models.TextField(blank=True, help_text="what the caller was told, when the call did not end well")
    #: No database constraint: the audit log may live in another database,
    #: and rows stay (with ``username``) when the user is deleted. Indexed are
    #: only ``called_at`` (pruning, the admin's order) and ``username``: every
    #: index is written at each call.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    username = models.CharField(max_length=255, blank=True, db_index=True, help_text="empty: anonymous")
    auth_method = models.CharField(
        "authentication", max_length=16, blank=True, help_text="session, token, oauth2, jwt; empty: anonymous"
    )
    token = models.CharField("API token", max_length=16, blank=True, help_text="the API token's prefix")
    oauth_client = models.CharField("OAuth client", max_length=255, blank=True)
    client_address = models.CharField(max_length=64, blank=True)
    client_name = models.CharField(max_length=255, blank=True)
    client_version = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField("User-Agent", max_length=255, blank=True)
    protocol_version = models.CharField(max_length=16, blank=True)
    request_id = models.CharField("request id", max_length=64, blank=True)
    path = models.CharField("endpoint", max_length=255, blank=True)
    arguments = models.JSONField(null=True, blank=True, help_text="secrets redacted")

    class Meta:
        verbose_name = "call"
        verbose_name_plural = "calls"
        ordering = ["-called_at"]  # noqa: RUF012 - Django reads Meta once; the migration has this list

    def __str__(self) -> str:
        who = self.username or "anonymous"
        return f"{self.kind} {self.name} by {who} at {self.called_at:%Y-%m-%d %H:%M:%S}: {self.get_outcome_display()}"
