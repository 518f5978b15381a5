"""manage.py mcp_token create|revoke|list: API tokens for MCP clients."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from django_mcp.tokens.models import APIToken


class Command(BaseCommand):
    help = "Creates, revokes and lists API tokens for MCP clients (TokenAuthentication)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a token for a user; prints it once")
        create.add_argument("username")
        create.add_argument("--name", default="mcp client", help="what the token is for")
        create.add_argument("--scopes", default="", help="space-separated scopes it grants")
        create.add_argument("--days", type=int, default=None, help="expire after this many days")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix (the 8 characters after mcp_)")
        revoke.add_argument("prefix")
        listing = sub.add_parser("list", help="list tokens (never their text)")
        listing.add_argument("--user", default=None)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "create":
            model = get_user_model()
            try:
                user = model._default_manager.get_by_natural_key(options["username"])
            except model.DoesNotExist:
                raise CommandError(f"no user {options['username']!r}") from None
            expires = timezone.now() + timedelta(days=options["days"]) if options["days"] else None
            row, token = APIToken.objects.issue(user, options["name"], options["scopes"].split(), expires)
            self.stderr.write(f"Token {row.prefix} for {user.get_username()} ({row.name}); it is not shown again:")
            self.stdout.write(token)
        elif action == "revoke":
            row = APIToken.objects.filter(prefix=options["prefix"]).first()
            if row is None:
                raise CommandError(f"no token with prefix {options['prefix']!r}")
            row.revoke()
            self.stdout.write(f"Revoked {row}")
        else:
            rows = APIToken.objects.select_related("user")
            if options["user"]:
                rows = rows.filter(user__username=options["user"])
            for row in rows:
                state = "revoked" if row.revoked else ("expired" if not row.is_live else "live")
                self.stdout.write(
                    f"{row.prefix}  {row.user.get_username():<20} {row.name:<24} {state:<8} scopes={row.scopes or '-'}"
                )
