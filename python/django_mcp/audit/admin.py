"""The audit log in the Django admin: read-only, filtered by outcome, kind,
authentication, protocol revision and day, searched by name, user, token,
OAuth client, client and address."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import CallRecord


@admin.register(CallRecord)
class CallRecordAdmin(admin.ModelAdmin):
    list_display = ("called_at", "kind", "name", "outcome", "username", "client_name", "duration_ms")
    list_filter = ("outcome", "kind", "auth_method", "protocol_version", "called_at")
    search_fields = ("name", "uri", "username", "token", "oauth_client", "client_name", "client_address", "request_id")
    date_hierarchy = "called_at"
    list_select_related = False
    show_full_result_count = False  # no COUNT(*) of a large table on every page

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return [field.name for field in CallRecord._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False  # rows come from calls only

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
