"""The Django admin for API tokens: list, search, revoke."""

from django.contrib import admin, messages

from .models import APIToken


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "scopes", "created", "last_used", "expires", "revoked")
    list_filter = ("revoked",)
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = ("prefix", "created", "last_used")
    actions = ("revoke",)

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            token.revoke()
        self.message_user(request, f"Revoked {queryset.count()} token(s).", messages.SUCCESS)

    def has_add_permission(self, request):
        # A token's text is shown once, when it is made: use `manage.py mcp_token create`.
        return False
