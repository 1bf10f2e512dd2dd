"""Celery app: reads CELERY_* settings and autodiscovers each app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pwpush.settings")

app = Celery("pwpush")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
