from django.contrib import admin

from .models import PasswordPush


@admin.register(PasswordPush)
class PasswordPushAdmin(admin.ModelAdmin):
    """Operators see metadata only: never payload, passphrase, name or note."""

    list_display = ("id", "kind", "user", "expired", "deleted", "created_at", "expire_after_days", "expire_after_views")
    list_filter = ("kind", "expired", "deleted")
    fields = ("kind", "user", "expire_after_days", "expire_after_views", "view_count", "expired", "expired_on", "deleted", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False
