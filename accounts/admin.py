from django.contrib import admin

from .models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "is_active", "is_staff", "date_joined")
    search_fields = ("email",)
    fields = (
        "email",
        "is_active",
        "is_staff",
        "is_superuser",
        "two_factor_enabled",
        "date_joined",
        "last_login",
    )
    readonly_fields = ("date_joined", "last_login")
