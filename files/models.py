"""File pushes: an optional message plus attachments whose bytes are encrypted before storage."""

import base64
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.files.storage import storages
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from pushes.fields import EncryptedTextField
from pushes.models import MAX_TEXT_PAYLOAD, Push, PushQuerySet

log = logging.getLogger(__name__)
DOWNLOAD_SALT = "pwpush.files.download"


def file_storage():
    return storages["default"]


class FilePushQuerySet(PushQuerySet):
    def out_of_views(self, now) -> models.Q:
        """Used up, and the last viewer's download window (if any) has closed."""
        window_closed = models.Q(download_window_closes_at__isnull=True) | models.Q(
            download_window_closes_at__lte=now
        )
        return super().out_of_views(now) & window_closed


class FilePush(Push):
    """A message and 0..N encrypted files. Expiry deletes the stored objects."""

    KINDS = {"file": "files"}

    # Set by the counted view that used the last allowance: downloads stay open until then.
    download_window_closes_at = models.DateTimeField(null=True, blank=True)

    objects = FilePushQuerySet.as_manager()

    class Meta(Push.Meta):
        verbose_name = "file push"

    @property
    def has_attachments(self) -> bool:
        return self.attachments.exists()

    @property
    def downloads_open(self) -> bool:
        """Files may be fetched: the push is live, or its last viewer's window is still open."""
        if self.expired or self.days_remaining == 0:
            return False
        if self.views_remaining > 0:
            return True
        return (
            self.download_window_closes_at is not None
            and timezone.now() < self.download_window_closes_at
        )

    @classmethod
    def from_params(cls, kind: str, fields: dict, user) -> "FilePush":
        push = super().from_params(kind, fields, user)
        files = fields.get("files")
        push.uploads = (
            [item for item in files if hasattr(item, "storage_name")]
            if isinstance(files, list)
            else []
        )
        return push

    def validate_payload(self) -> dict[str, list[str]]:
        limit = settings.PUSH_SETTINGS["files"]["max_file_uploads"]
        if sum(1 for upload in getattr(self, "uploads", []) if upload.size) > limit:
            return {"files": [f"You can only attach up to {limit} files per push."]}
        if len(self.payload or "") > MAX_TEXT_PAYLOAD:
            return {
                "payload": [
                    f"The payload is too large.  You can only push up to {MAX_TEXT_PAYLOAD} bytes."
                ]
            }
        return {}

    def after_create(self) -> None:
        """Attaches the uploads and claims their stored objects from the pending deletions."""
        uploads = getattr(self, "uploads", [])
        Attachment.objects.bulk_create(
            [
                Attachment(
                    push=self,
                    filename=upload.name,
                    content_type=upload.content_type,
                    size=upload.size,
                    storage_name=upload.storage_name,
                    file_key=upload.file_key,
                )
                for upload in uploads
            ]
        )
        PendingDeletion.objects.filter(
            storage_name__in=[upload.storage_name for upload in uploads]
        ).delete()

    def claim_view(self, user) -> str:
        kind = super().claim_view(user)
        if (
            kind == "view"
            and self.views_remaining == 0
            and self.download_window_closes_at is None
        ):
            self.download_window_closes_at = timezone.now() + timedelta(
                seconds=settings.FILE_DOWNLOAD_WINDOW
            )
            self.save(update_fields=["download_window_closes_at", "updated_at"])
        return kind

    def expire(self, *, deleted: bool = False) -> None:
        """Erases the push and deletes its stored objects after commit."""
        release_attachments([self.pk])
        super().expire(deleted=deleted)

    @classmethod
    def expire_many(cls, pks: list[int]) -> int:
        release_attachments(pks)
        return super().expire_many(pks)

    def file_entries(self, request) -> list[dict]:
        return [
            attachment.entry(request) for attachment in self.attachments.order_by("pk")
        ]


def release_attachments(push_pks: list[int]) -> None:
    """Drops these pushes' attachments and queues their objects, deleted once the transaction
    commits (after the row lock is released); a failed deletion stays queued for the sweep."""
    attachments = Attachment.objects.filter(push_id__in=push_pks)
    names = list(attachments.values_list("storage_name", flat=True))
    if not names:
        return
    PendingDeletion.objects.bulk_create(
        [PendingDeletion(storage_name=name) for name in names], ignore_conflicts=True
    )
    attachments.delete()
    transaction.on_commit(lambda: PendingDeletion.objects.purge(names))


def new_download_id() -> str:
    return secrets.token_urlsafe(16)


class Attachment(models.Model):
    """One uploaded file: its name and type, and where its ciphertext lives."""

    push = models.ForeignKey(
        FilePush, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = EncryptedTextField()
    content_type = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    storage_name = models.CharField(max_length=255, unique=True)
    # What download links name: random, so the signing key alone cannot enumerate files.
    download_id = models.CharField(max_length=32, unique=True, default=new_download_id)
    # The file's own AES-256 key, itself sealed by the master keys.
    file_key = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"attachment {self.pk}"

    @property
    def key(self) -> bytes:
        return base64.b64decode(self.file_key)

    def entry(self, request) -> dict:
        signed = signing.dumps(self.download_id, salt=DOWNLOAD_SALT)
        path = reverse("files:download", args=[signed, self.filename])
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "url": request.build_absolute_uri(path),
        }

    @classmethod
    def from_signed(cls, signed: str) -> "Attachment | None":
        """The attachment a download link names, if the link is genuine and not too old."""
        try:
            download_id = signing.loads(
                signed, salt=DOWNLOAD_SALT, max_age=settings.FILE_DOWNLOAD_WINDOW
            )
        except signing.BadSignature:
            return None
        if not isinstance(download_id, str):
            return None
        return (
            cls.objects.select_related("push").filter(download_id=download_id).first()
        )


class PendingDeletionManager(models.Manager):
    def purge(self, names: list[str]) -> int:
        """Deletes these stored objects; those that fail stay queued. Returns how many went."""
        done = 0
        storage = file_storage()
        for name in names:
            try:
                storage.delete(name)
            except Exception as exc:  # any storage fault: keep the row, try again later
                row = self.filter(storage_name=name).first()
                if row is not None:
                    # back off: 1, 2, 4 ... minutes, at most a day
                    delay = timedelta(minutes=min(2**row.attempts, 24 * 60))
                    row.attempts += 1
                    row.last_error = type(exc).__name__[:200]
                    row.purge_after = timezone.now() + delay
                    row.save(update_fields=["attempts", "last_error", "purge_after"])
                log.warning(
                    "could not delete a stored file object (%s); will retry",
                    type(exc).__name__,
                )
                continue
            self.filter(storage_name=name).delete()
            done += 1
        return done

    def due(self) -> models.QuerySet:
        return self.filter(purge_after__lte=timezone.now())

    def before_upload(self, storage_name: str) -> "PendingDeletion":
        """Queues an object about to be written; its push claims it, or the sweep deletes it
        once no upload could still be writing it."""
        grace = timedelta(seconds=settings.UPLOAD_GRACE_PERIOD)
        row, _ = self.update_or_create(
            storage_name=storage_name,
            defaults={"purge_after": timezone.now() + grace},
        )
        return row


class PendingDeletion(models.Model):
    """A stored object that must go: written before an upload starts (claimed when its push is
    saved) and when a push expires, so a crash or a failed delete never orphans bytes for good."""

    storage_name = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Not before: an upload in progress may still be writing the object.
    purge_after = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True, default="")

    objects = PendingDeletionManager()

    def __str__(self) -> str:
        return f"pending deletion {self.pk}"
