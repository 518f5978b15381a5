"""manage.py mcp_audit_prune: deletes audit log rows older than the retention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from django_mcp.audit.models import CallRecord
from django_mcp.conf import mcp_settings


class Command(BaseCommand):
    help = "Deletes audit log rows older than MCP_AUDIT_RETENTION_DAYS (or --days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="keep this many days instead of the setting")
        parser.add_argument("--dry-run", action="store_true", help="count the rows, delete nothing")

    def handle(self, *args: Any, days: int | None, dry_run: bool, **options: Any) -> None:
        if days is None:
            days = mcp_settings.MCP_AUDIT_RETENTION_DAYS
            if days is None:
                raise CommandError("MCP_AUDIT_RETENTION_DAYS is None (rows are kept): give --days to prune anyway")
        if days < 0:
            raise CommandError(f"--days must be 0 or more, not {days}")
        cutoff = timezone.now() - timedelta(days=days)
        old = CallRecord.objects.filter(called_at__lt=cutoff)
        if dry_run:
            self.stdout.write(f"{old.count()} audit record(s) older than {days} day(s) would be deleted")
            return
        deleted, _ = old.delete()
        self.stdout.write(f"Deleted {deleted} audit record(s) older than {days} day(s)")
