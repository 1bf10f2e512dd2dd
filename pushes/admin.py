from django.contrib import admin

from .models import PasswordPush

METADATA = (
    "user",
    "expire_after_days",
    "expire_after_views",
    "view_count",
    "expired",
    "expired_on",
    "deleted",
    "created_at",
)


class PushAdmin(admin.ModelAdmin):
    """Operators see metadata only: never payload, passphrase, name or note."""

    list_display = (
        "id",
        "user",
        "expired",
        "deleted",
        "created_at",
        "expire_after_days",
        "expire_after_views",
    )
    list_filter = ("expired", "deleted")
    fields = METADATA
    readonly_fields = METADATA

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PasswordPush)
class PasswordPushAdmin(PushAdmin):
    list_display = ("id", "kind", *PushAdmin.list_display[1:])
    list_filter = ("kind", *PushAdmin.list_filter)
    fields = readonly_fields = ("kind", *METADATA)
