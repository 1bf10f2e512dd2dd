from django.contrib import admin

from pushes.admin import PushAdmin

from .models import FilePush, PendingDeletion

admin.site.register(FilePush, PushAdmin)


@admin.register(PendingDeletion)
class PendingDeletionAdmin(admin.ModelAdmin):
    list_display = ("storage_name", "created_at", "attempts", "last_error")
    readonly_fields = list_display
