from django.contrib import admin

from pushes.admin import PushAdmin

from .models import UrlPush

admin.site.register(UrlPush, PushAdmin)
