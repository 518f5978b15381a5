"""Who may use a tool, resource or prompt: Django permissions, OAuth scopes,
or a callable, given on the decorator::

    @mcp_app.tool(permissions=["billing.view_invoice"], scopes=["invoices:read"])
    def invoice_total(number: int) -> str: ...

    @mcp_app.tool(allow=lambda user, ctx: user.is_staff)
    def purge_cache() -> str: ...

Everything a caller may not use is left out of its list results; a call to it
gets a JSON-RPC error and a WARNING on the ``django_mcp`` logger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Access:
    permissions: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    allow: Callable[[Any, Any], bool] | None = None

    @classmethod
    def of(
        cls, permissions: Iterable[str] | None, scopes: Iterable[str] | None, allow: Callable[[Any, Any], bool] | None
    ) -> Access | None:
        if isinstance(permissions, str) or isinstance(scopes, str):
            raise TypeError("permissions and scopes take lists: permissions=['app.codename'], scopes=['read']")
        if allow is not None and not callable(allow):
            raise TypeError("allow= takes a callable (user, ctx) -> bool")
        access = cls(tuple(permissions or ()), tuple(scopes or ()), allow)
        return access if (access.permissions or access.scopes or access.allow) else None

    def missing_scopes(self, granted: frozenset[str] | None) -> tuple[str, ...]:
        """Scopes the request's token lacks (none when the request has no token:
        then only permissions and ``allow`` apply)."""
        if granted is None:
            return ()
        return tuple(s for s in self.scopes if s not in granted)

    def refusal(self, user: Any, granted: frozenset[str] | None, ctx: Any) -> str | None:
        """Why the caller may not use it, or None when it may."""
        if self.scopes and granted is None and not getattr(user, "is_authenticated", False):
            return "authentication required"
        missing = self.missing_scopes(granted)
        if missing:
            return f"the token lacks scope {' '.join(missing)}"
        if self.permissions:
            if not getattr(user, "is_authenticated", False):
                return "authentication required"
            lacking = [p for p in self.permissions if not user.has_perm(p)]
            if lacking:
                return f"user {user.get_username()!r} lacks permission {', '.join(lacking)}"
        if self.allow is not None and not self.allow(user, ctx):
            return "not allowed"
        return None
