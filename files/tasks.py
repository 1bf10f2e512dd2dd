"""Deleting stored file objects that no live push holds, and abandoned upload temp files."""

import time

from celery import shared_task
from django.conf import settings
from django.db import transaction

from .models import PendingDeletion


@shared_task
def purge_files(batch_size: int | None = None) -> int:
    """Deletes queued objects: failed deletions, and uploads no push claimed. Idempotent."""
    batch_size = batch_size or settings.SWEEP_BATCH_SIZE
    purged = 0
    while True:
        with transaction.atomic():
            due = (
                PendingDeletion.objects.due()
                .select_for_update(skip_locked=True)
                .order_by("pk")
            )
            names = list(due.values_list("storage_name", flat=True)[:batch_size])
            # rows stay locked while their objects are deleted; a second sweep skips them
            purged += PendingDeletion.objects.purge(names)
        if len(names) < batch_size:
            return purged + remove_abandoned_temp_files()


def remove_abandoned_temp_files() -> int:
    """Temp files of uploads whose worker died (killed, timed out) before cleaning up."""
    removed = 0
    cutoff = time.time() - settings.UPLOAD_GRACE_PERIOD
    for path in (settings.DATA_DIR / "tmp").glob("pwpush-upload-*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass  # another sweep took it
    return removed
