"""The audit log: one table whose entries point at a push of any kind."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

FIELD_LIMIT = 255


class AuditLogManager(models.Manager):
    def for_push(self, push) -> models.QuerySet:
        return self.filter(
            push_type=ContentType.objects.get_for_model(push), push_id=push.pk
        )

    def record(self, request: HttpRequest | None, push, kind: str) -> "AuditLog | None":
        """Writes one entry unless the push's log is full (spec §10).

        Entries that do not count a view stop short of the cap by the push's view
        allowance, so flooding (wrong passphrases, owner views) can never use up the
        room a recipient's real views need and burn the push (spec §15.4).
        """
        room = settings.AUDIT_LOG_CAP
        if kind != AuditLog.Kind.VIEW:
            room -= push.expire_after_views
        if self.for_push(push).count() >= room:
            return None
        user = getattr(request, "user", None) if request is not None else None
        meta = request.META if request is not None else {}
        return self.create(
            push_type=ContentType.objects.get_for_model(push),
            push_id=push.pk,
            kind=kind,
            user=user if user is not None and user.is_authenticated else None,
            ip=meta.get("REMOTE_ADDR", "") or "",
            user_agent=meta.get("HTTP_USER_AGENT", "")[:FIELD_LIMIT],
            referrer=meta.get("HTTP_REFERER", "")[:FIELD_LIMIT],
        )


class AuditLog(models.Model):
    """Something that happened to a push: created, viewed, refused, expired."""

    class Kind(models.TextChoices):
        CREATION = "creation"
        VIEW = "view"
        FAILED_VIEW = "failed_view"
        EXPIRE = "expire"
        FAILED_PASSPHRASE = "failed_passphrase"
        ADMIN_VIEW = "admin_view"
        OWNER_VIEW = "owner_view"
        EDIT = "edit"
        CREATION_EMAIL_SEND = "creation_email_send"

    push_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    push_id = models.PositiveBigIntegerField()
    push = GenericForeignKey("push_type", "push_id")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    ip = models.CharField(max_length=64, blank=True, default="")
    user_agent = models.CharField(max_length=FIELD_LIMIT, blank=True, default="")
    referrer = models.CharField(max_length=FIELD_LIMIT, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuditLogManager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["push_type", "push_id", "created_at"], name="audit_push_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M:%S}"
