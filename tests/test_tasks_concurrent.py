"""Two copies of a sweep at once, on PostgreSQL: no push is expired twice, none is missed,
nothing fails; the copies skip each other's locked rows (SKIP LOCKED).

Not on SQLite: the embedded default runs one worker with a solo pool, so its sweeps never
overlap, and pytest-django's in-memory SQLite fails concurrent writers with table locks that
a real database file would wait on."""

import threading
import unittest
from datetime import timedelta

from django.db import connection
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

from pushes.models import PasswordPush
from pushes.tasks import expire_due_pushes

from .base import TEST_KEY

TOTAL = 600


@override_settings(PWPUSH_ENCRYPTION_KEYS=[TEST_KEY], SWEEP_BATCH_SIZE=20)
class ConcurrentSweepTestCase(TransactionTestCase):
    def setUp(self) -> None:
        if connection.vendor != "postgresql":
            raise unittest.SkipTest(
                "concurrent sweeps are a PostgreSQL deployment's case"
            )

    def test_it_splits_the_work_between_two_sweeps(self) -> None:
        old = timezone.now() - timedelta(days=3)
        PasswordPush.objects.bulk_create(
            PasswordPush(
                url_token=f"sweep{i:05d}",
                payload="p",
                expire_after_days=1,
                expire_after_views=5,
                created_at=old,
                updated_at=old,
            )
            for i in range(TOTAL)
        )
        counts, errors = [], []

        def sweep() -> None:
            try:
                counts.append(expire_due_pushes())
            except Exception as exc:  # reported below, with the database's words
                errors.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(errors, [])
        self.assertEqual(sum(counts), TOTAL)  # each push expired by exactly one sweep
        self.assertEqual(
            PasswordPush.objects.filter(expired=True, payload=None).count(), TOTAL
        )
