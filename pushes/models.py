"""The abstract encrypted Push that owns every rule, and password pushes (kinds text, qr)."""

import hmac
import math
import secrets
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.utils import timezone

from audit.models import AuditLog

from . import params
from .fields import EncryptedTextField

TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_-"
# ~100 bits, the most the legacy shape ^[a-z0-9_-]{11,19}$ can carry. The first symbol is
# a letter or digit: a token starting with "-" reads as an option to command-line tools.
TOKEN_LENGTH = 19

MAX_TEXT_PAYLOAD = 1_048_576
MAX_QR_PAYLOAD = 1024
MAX_NAME = 1024
MAX_NOTE = 65_536
MAX_PASSPHRASE = 1024


class PushQuerySet(models.QuerySet):
    def owned_by(self, user) -> "PushQuerySet":
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def active(self) -> "PushQuerySet":
        return self.filter(expired=False)

    def expired(self) -> "PushQuerySet":
        return self.filter(expired=True)

    def due_for_expiry(self, now=None) -> "PushQuerySet":
        """Live pushes whose days have run out or whose views are used up (in SQL, for the sweep)."""
        now = now or timezone.now()
        live = self.filter(expired=False)
        # One clause per distinct lifetime (at most a few dozen): SQLite cannot multiply
        # a duration in SQL, and this form uses the created_at index on every database.
        out_of_days = models.Q(pk__in=[])
        for days in (
            live.values_list("expire_after_days", flat=True).distinct().order_by()
        ):
            out_of_days |= models.Q(
                expire_after_days=days, created_at__lte=now - timedelta(days=days)
            )
        return live.filter(out_of_days | self.out_of_views(now))

    def out_of_views(self, now) -> models.Q:
        return models.Q(view_count__gte=models.F("expire_after_views"))


class Push(models.Model):
    """A secret reachable by url_token until its days or views run out; expiry erases it.

    Subclasses name their kinds (API kind -> settings group) and add payload rules.
    """

    KINDS: dict[str, str] = {}

    url_token = models.CharField(max_length=64, unique=True, editable=False)
    payload = EncryptedTextField(null=True, blank=True)
    passphrase = EncryptedTextField(null=True, blank=True, default="")
    name = EncryptedTextField(null=True, blank=True, default="")
    note = EncryptedTextField(null=True, blank=True, default="")
    expire_after_days = models.PositiveIntegerField()
    expire_after_views = models.PositiveIntegerField()
    deletable_by_viewer = models.BooleanField(null=True)
    retrieval_step = models.BooleanField(default=True)
    expired = models.BooleanField(default=False)
    expired_on = models.DateTimeField(null=True, blank=True)
    # True once a DELETE expired it (spec: an `expire` audit entry exists).
    deleted = models.BooleanField(default=False)
    # Counted `view` and `failed_view` entries, kept on the row so reads need no count.
    view_count = models.PositiveIntegerField(default=0)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="%(app_label)s_%(class)s_set",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    audit_logs = GenericRelation(
        AuditLog, content_type_field="push_type", object_id_field="push_id"
    )

    objects = PushQuerySet.as_manager()

    class Meta:
        abstract = True
        indexes = [
            models.Index(
                fields=["user", "expired", "-created_at"],
                name="%(app_label)s_%(class)s_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def days_old(self) -> int:
        return math.floor((timezone.now() - self.created_at) / timedelta(days=1))

    @property
    def days_remaining(self) -> int:
        return max(self.expire_after_days - self.days_old, 0)

    @property
    def views_remaining(self) -> int:
        return max(self.expire_after_views - self.view_count, 0)

    @property
    def due_to_expire(self) -> bool:
        """True when days or views have run out but expire() has not run yet."""
        return not self.expired and (
            self.days_remaining == 0 or self.views_remaining == 0
        )

    @property
    def has_passphrase(self) -> bool:
        return bool(self.passphrase and self.passphrase.strip())

    @property
    def has_attachments(self) -> bool:
        return False

    def is_owned_by(self, user) -> bool:
        return (
            self.user_id is not None
            and user is not None
            and user.is_authenticated
            and self.user_id == user.pk
        )

    def is_deletable_by(self, user) -> bool:
        return self.is_owned_by(user) or self.deletable_by_viewer is True

    def passphrase_matches(self, candidate: str) -> bool:
        return hmac.compare_digest(
            (candidate or "").encode(), (self.passphrase or "").encode()
        )

    def validate_payload(self) -> dict[str, list[str]]:
        """Returns the spec's 422 field errors for this kind's payload."""
        return {}

    def validate(self) -> dict[str, list[str]]:
        for field in ("payload", "passphrase", "name", "note"):
            try:
                (getattr(self, field) or "").encode("utf-8")
            except UnicodeEncodeError:
                # lone surrogates, from JSON escapes such as "\ud800"
                return {field: ["is not valid Unicode text"]}
        errors = self.validate_payload()
        for field, limit in (
            ("name", MAX_NAME),
            ("note", MAX_NOTE),
            ("passphrase", MAX_PASSPHRASE),
        ):
            if len(getattr(self, field) or "") > limit:
                errors[field] = [f"is too long (maximum is {limit} characters)"]
        return errors

    @classmethod
    def from_params(cls, kind: str, fields: dict, user) -> "Push":
        """An unsaved push from create parameters, with the kind's defaults and ranges (spec §7.1)."""
        conf = settings.PUSH_SETTINGS[cls.KINDS[kind]]

        def text(key: str) -> str:
            value = params.scalar(fields.get(key, params.MISSING))
            if value is params.MISSING or value is None:
                return ""
            return str(value).lower() if isinstance(value, bool) else str(value)

        def flag(key: str, enabled: str, default: str) -> bool:
            if not conf[enabled]:
                return False
            value = params.scalar(fields.get(key, params.MISSING))
            # absent, or an array/object dropped as absent (spec §3.2): the default
            return (
                conf[default] if value is params.MISSING else params.parse_bool(value)
            )

        return cls(
            payload=text("payload"),
            passphrase=text("passphrase"),
            name=text("name"),
            note=text("note"),
            expire_after_days=params.in_range_or_default(
                fields.get("expire_after_days"),
                conf["expire_after_days_min"],
                conf["expire_after_days_max"],
                conf["expire_after_days_default"],
            ),
            expire_after_views=params.in_range_or_default(
                fields.get("expire_after_views"),
                conf["expire_after_views_min"],
                conf["expire_after_views_max"],
                conf["expire_after_views_default"],
            ),
            deletable_by_viewer=(
                flag(
                    "deletable_by_viewer",
                    "enable_deletable_pushes",
                    "deletable_pushes_default",
                )
                if "enable_deletable_pushes" in conf
                else None
            ),
            retrieval_step=flag(
                "retrieval_step", "enable_retrieval_step", "retrieval_step_default"
            ),
            user=user if user is not None and user.is_authenticated else None,
        )

    def save(self, *args, **kwargs) -> None:
        if not self.url_token:
            self.url_token = new_url_token()
        # created_at and updated_at match on creation, as in the original
        self.updated_at = self.created_at if self._state.adding else timezone.now()
        super().save(*args, **kwargs)

    def after_create(self) -> None:
        """Runs in the create transaction, after the first save (file pushes attach files)."""

    def expire(self, *, deleted: bool = False) -> None:
        """Erases payload and passphrase and marks the push expired (spec §9.2)."""
        self.payload = None
        self.passphrase = None
        self.expired = True
        self.expired_on = self.expired_on or timezone.now()
        self.deleted = self.deleted or deleted
        self.save()

    @classmethod
    def expire_many(cls, pks: list[int]) -> int:
        """Expires these pushes in one UPDATE, without reading (or decrypting) their values."""
        now = timezone.now()
        return cls.objects.filter(pk__in=pks, expired=False).update(
            payload=None, passphrase=None, expired=True, expired_on=now, updated_at=now
        )

    def claim_view(self, user) -> str:
        """Decides and counts one retrieval on a locked row; returns the audit kind (spec §7.2.4).

        A counted view that the full audit log could not record is refused and the
        push expired instead (fail closed, spec §9.1).
        """
        if self.due_to_expire:
            self.expire()
        if self.expired:
            kind = AuditLog.Kind.FAILED_VIEW
        elif user is not None and user.is_authenticated and user.is_admin:
            return AuditLog.Kind.ADMIN_VIEW
        elif self.is_owned_by(user):
            return AuditLog.Kind.OWNER_VIEW
        elif AuditLog.objects.for_push(self).count() >= settings.AUDIT_LOG_CAP:
            self.expire()
            kind = AuditLog.Kind.FAILED_VIEW
        else:
            kind = AuditLog.Kind.VIEW
        self.view_count += 1
        self.save(update_fields=["view_count", "updated_at"])
        return kind


def push_models() -> list[type[Push]]:
    """Every concrete push model, in app order (pushes first)."""
    return [model for model in apps.get_models() if issubclass(model, Push)]


def model_for_kind(kind: str) -> type[Push] | None:
    return next((model for model in push_models() if kind in model.KINDS), None)


def new_url_token() -> str:
    """A fresh token, unique across every push kind."""
    while True:
        token = secrets.choice(TOKEN_ALPHABET[:36]) + "".join(
            secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH - 1)
        )
        if not any(
            model.objects.filter(url_token=token).exists() for model in push_models()
        ):
            return token


def find_push(
    url_token: str, prefer: type[Push] | None = None, *, lock: bool = False
) -> Push | None:
    """The push with this token, whatever its kind, trying the prefix's own kind first."""
    models_in_order = sorted(push_models(), key=lambda model: model is not prefer)
    for model in models_in_order:
        queryset = model.objects.select_for_update() if lock else model.objects.all()
        push = queryset.filter(url_token=url_token).first()
        if push is not None:
            return push
    return None


class PasswordPush(Push):
    """A secret text, shown as text or as a QR code."""

    class Kind(models.TextChoices):
        TEXT = "text"
        QR = "qr"

    KINDS = {"text": "pw", "qr": "qr"}

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEXT)

    class Meta(Push.Meta):
        verbose_name = "password push"

    @classmethod
    def from_params(cls, kind: str, fields: dict, user) -> "PasswordPush":
        push = super().from_params(kind, fields, user)
        push.kind = kind
        return push

    def validate_payload(self) -> dict[str, list[str]]:
        payload = self.payload or ""
        if not payload.strip():
            return {"payload": ["Payload is required."]}
        if self.kind == self.Kind.QR and len(payload) > MAX_QR_PAYLOAD:
            return {
                "payload": [
                    f"The QR code payload is too large.  You can only push up to {MAX_QR_PAYLOAD} bytes."
                ]
            }
        if len(payload) > MAX_TEXT_PAYLOAD:
            return {
                "payload": [
                    f"The payload is too large.  You can only push up to {MAX_TEXT_PAYLOAD} bytes."
                ]
            }
        return {}
