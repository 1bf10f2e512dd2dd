"""Sweeps over every push kind. Each runs in batches, is idempotent, and two copies can run at
once: rows are claimed with SELECT ... FOR UPDATE SKIP LOCKED where the database has it."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from audit.models import AuditLog

from .models import push_models

log = logging.getLogger(__name__)


def locked_pks(queryset, size: int) -> list[int]:
    """The next primary keys of queryset, locked for this transaction and skipped by other sweeps."""
    return list(
        queryset.select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:size]
    )


@shared_task
def expire_due_pushes(batch_size: int | None = None) -> int:
    """Expires every push whose days or views have run out (and whose download window closed).

    Rows are expired by primary key without being read, so a row sealed with a key that has
    since been removed is erased like any other.
    """
    batch_size = batch_size or settings.SWEEP_BATCH_SIZE
    expired = 0
    for model in push_models():
        while True:
            with transaction.atomic():
                pks = locked_pks(model.objects.due_for_expiry(), batch_size)
                expired += model.expire_many(pks)
            if len(pks) < batch_size:
                break
    if expired:
        log.info("expired %d pushes", expired)
    return expired


@shared_task
def prune_expired_pushes(batch_size: int | None = None) -> int:
    """Deletes long-expired pushes with their audit logs: anonymous ones after PRUNE_ANONYMOUS_AFTER_DAYS,
    owned ones (kept for their owners' audit by default) after PRUNE_OWNED_AFTER_DAYS."""
    batch_size = batch_size or settings.SWEEP_BATCH_SIZE
    deleted = 0
    rules = [
        (True, settings.PRUNE_ANONYMOUS_AFTER_DAYS),
        (False, settings.PRUNE_OWNED_AFTER_DAYS),
    ]
    for model in push_models():
        for anonymous, days in rules:
            if days is None:
                continue
            old = model.objects.filter(
                expired=True,
                user__isnull=anonymous,
                expired_on__lte=timezone.now() - timedelta(days=days),
            )
            content_type = ContentType.objects.get_for_model(model)
            while True:
                with transaction.atomic():
                    pks = locked_pks(old, batch_size)
                    AuditLog.objects.filter(
                        push_type=content_type, push_id__in=pks
                    ).delete()
                    # only("pk"): deleting never decrypts, so rows under removed keys go too
                    model.objects.filter(pk__in=pks).only("pk").delete()
                deleted += len(pks)
                if len(pks) < batch_size:
                    break
    return deleted
