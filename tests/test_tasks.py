"""The background sweeps, called directly on back-dated pushes."""

import shutil
import tempfile
from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from audit.models import AuditLog
from files.models import Attachment, FilePush, PendingDeletion
from files.tasks import purge_files
from pushes.models import PasswordPush
from pushes.tasks import expire_due_pushes, prune_expired_pushes
from urls.models import UrlPush

from .base import BaseTestCase, make_password_push


def back_date(push, **delta) -> None:
    type(push).objects.filter(pk=push.pk).update(
        created_at=timezone.now() - timedelta(**delta)
    )


class StorageTestCase(BaseTestCase):
    """Files go to a throwaway directory."""

    def setUp(self) -> None:
        super().setUp()
        self.root_dir = tempfile.mkdtemp()
        override = override_settings(
            STORAGES={
                **settings.STORAGES,
                "default": {
                    "BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": self.root_dir},
                },
            }
        )
        override.enable()
        self.addCleanup(override.disable)
        self.addCleanup(shutil.rmtree, self.root_dir, True)

    def make_file_push(self, **overrides) -> FilePush:
        push = FilePush(
            **{
                "payload": "see attached",
                "expire_after_days": 7,
                "expire_after_views": 5,
                **overrides,
            }
        )
        push.save()
        name = storages["default"].save(
            "files/obj-" + push.url_token, ContentFile(b"ciphertext")
        )
        Attachment.objects.create(
            push=push,
            filename="a.txt",
            content_type="text/plain",
            size=10,
            storage_name=name,
            file_key="a2V5",
        )
        return push


class ExpireDuePushesTestCase(StorageTestCase):
    def test_it_erases_pushes_past_their_days_without_anyone_reading_them(self) -> None:
        old = make_password_push(expire_after_days=1)
        fresh = make_password_push(expire_after_days=2)
        back_date(old, days=1, seconds=1)
        back_date(fresh, days=1, hours=23)
        expire_due_pushes()
        old.refresh_from_db()
        fresh.refresh_from_db()
        self.assertIs(old.expired, True)
        self.assertIsNone(old.payload)
        self.assertIsNone(old.passphrase)
        self.assertIsNotNone(old.expired_on)
        self.assertIs(old.deleted, False)
        self.assertIs(fresh.expired, False)
        self.assertEqual(fresh.payload, "testpw")

    def test_it_covers_every_kind(self) -> None:
        text = make_password_push(kind="qr")
        url = UrlPush(
            payload="https://example.com", expire_after_days=1, expire_after_views=5
        )
        url.save()
        files = self.make_file_push()
        for push in (text, url, files):
            back_date(push, days=8)
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(expire_due_pushes(), 3)
        for push in (text, url, files):
            push.refresh_from_db()
            self.assertIs(push.expired, True)
            self.assertIsNone(push.payload)

    def test_it_expires_pushes_whose_views_ran_out(self) -> None:
        push = make_password_push(expire_after_views=2, view_count=2)
        expire_due_pushes()
        push.refresh_from_db()
        self.assertIs(push.expired, True)

    def test_it_deletes_stored_files_of_expired_file_pushes(self) -> None:
        push = self.make_file_push()
        name = push.attachments.get().storage_name
        back_date(push, days=8)
        with self.captureOnCommitCallbacks(execute=True):
            expire_due_pushes()
        self.assertIs(storages["default"].exists(name), False)
        self.assertFalse(Attachment.objects.exists())
        self.assertFalse(PendingDeletion.objects.exists())

    def test_it_waits_for_the_last_viewers_download_window(self) -> None:
        push = self.make_file_push(
            expire_after_views=1,
            view_count=1,
            download_window_closes_at=timezone.now() + timedelta(minutes=10),
        )
        expire_due_pushes()
        push.refresh_from_db()
        self.assertIs(push.expired, False)
        FilePush.objects.filter(pk=push.pk).update(
            download_window_closes_at=timezone.now() - timedelta(seconds=1)
        )
        with self.captureOnCommitCallbacks(execute=True):
            expire_due_pushes()
        push.refresh_from_db()
        self.assertIs(push.expired, True)
        self.assertFalse(push.attachments.exists())

    def test_it_is_idempotent(self) -> None:
        push = make_password_push(expire_after_days=1)
        back_date(push, days=2)
        self.assertEqual(expire_due_pushes(), 1)
        expired_on = PasswordPush.objects.get(pk=push.pk).expired_on
        self.assertEqual(expire_due_pushes(), 0)
        self.assertEqual(PasswordPush.objects.get(pk=push.pk).expired_on, expired_on)

    def test_it_works_in_batches(self) -> None:
        pushes = [make_password_push(expire_after_days=1) for _ in range(7)]
        PasswordPush.objects.update(created_at=timezone.now() - timedelta(days=2))
        self.assertEqual(expire_due_pushes(batch_size=3), 7)
        self.assertEqual(
            PasswordPush.objects.filter(
                pk__in=[p.pk for p in pushes], expired=True
            ).count(),
            7,
        )

    def test_it_survives_a_file_already_gone(self) -> None:
        push = self.make_file_push()
        storages["default"].delete(push.attachments.get().storage_name)
        back_date(push, days=8)
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(expire_due_pushes(), 1)
        self.assertFalse(PendingDeletion.objects.exists())

    def test_it_erases_rows_sealed_with_a_removed_key(self) -> None:
        push = make_password_push(expire_after_days=1)
        back_date(push, days=2)
        with override_settings(
            PWPUSH_ENCRYPTION_KEYS=["0" * 64]
        ):  # the original key is gone
            self.assertEqual(expire_due_pushes(), 1)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT payload, expired FROM pushes_passwordpush WHERE id = %s",
                [push.pk],
            )
            payload, expired = cursor.fetchone()
        self.assertIsNone(payload)
        self.assertTrue(expired)


class PurgeFilesTestCase(StorageTestCase):
    def test_it_retries_failed_deletions(self) -> None:
        storage = storages["default"]
        name = storage.save("files/orphan", ContentFile(b"x"))
        PendingDeletion.objects.create(storage_name=name)
        with mock.patch.object(type(storage), "delete", side_effect=OSError("down")):
            self.assertEqual(purge_files(), 0)
        row = PendingDeletion.objects.get()
        self.assertEqual(row.attempts, 1)
        self.assertEqual(row.last_error, "OSError")
        self.assertGreater(row.purge_after, timezone.now())  # backed off
        self.assertEqual(purge_files(), 0)  # not due yet
        PendingDeletion.objects.update(purge_after=timezone.now())
        self.assertEqual(purge_files(), 1)
        self.assertIs(storage.exists(name), False)
        self.assertFalse(PendingDeletion.objects.exists())

    def test_it_leaves_uploads_in_progress_alone_until_the_grace_period_ends(
        self,
    ) -> None:
        storage = storages["default"]
        name = storage.save("files/uploading", ContentFile(b"x"))
        PendingDeletion.objects.before_upload(name)
        self.assertEqual(purge_files(), 0)
        self.assertIs(storage.exists(name), True)
        PendingDeletion.objects.update(
            purge_after=timezone.now() - timedelta(seconds=1)
        )
        self.assertEqual(purge_files(), 1)
        self.assertIs(storage.exists(name), False)

    def test_it_treats_a_missing_object_as_deleted(self) -> None:
        PendingDeletion.objects.create(storage_name="files/never-written")
        self.assertEqual(purge_files(), 1)
        self.assertFalse(PendingDeletion.objects.exists())


class PruneExpiredPushesTestCase(BaseTestCase):
    def expired_push(self, *, user=None, days_ago: int) -> PasswordPush:
        push = make_password_push(user=user)
        AuditLog.objects.record(None, push, AuditLog.Kind.CREATION)
        push.expire()
        PasswordPush.objects.filter(pk=push.pk).update(
            expired_on=timezone.now() - timedelta(days=days_ago)
        )
        return push

    def test_it_deletes_old_anonymous_pushes_with_their_audit_logs(self) -> None:
        old = self.expired_push(days_ago=31)
        recent = self.expired_push(days_ago=29)
        live = make_password_push()
        self.assertEqual(prune_expired_pushes(), 1)
        self.assertFalse(PasswordPush.objects.filter(pk=old.pk).exists())
        self.assertFalse(AuditLog.objects.for_push(old).exists())
        self.assertTrue(
            PasswordPush.objects.filter(pk__in=[recent.pk, live.pk]).count() == 2
        )
        self.assertEqual(
            self.client.get(f"/p/{old.url_token}.json").json(), {"error": "not-found"}
        )

    def test_it_keeps_owned_pushes_by_default(self) -> None:
        owned = self.expired_push(user=self.alice, days_ago=400)
        self.assertEqual(prune_expired_pushes(), 0)
        self.assertTrue(PasswordPush.objects.filter(pk=owned.pk).exists())
        with override_settings(PRUNE_OWNED_AFTER_DAYS=365):
            self.assertEqual(prune_expired_pushes(), 1)
        self.assertFalse(PasswordPush.objects.filter(pk=owned.pk).exists())

    def test_it_prunes_rows_sealed_with_a_removed_key(self) -> None:
        old = self.expired_push(days_ago=40)
        with override_settings(PWPUSH_ENCRYPTION_KEYS=["0" * 64]):
            self.assertEqual(prune_expired_pushes(), 1)
        self.assertFalse(PasswordPush.objects.filter(pk=old.pk).exists())
