"""The v1 JSON API: one PushViewSet holds the seven endpoints; each kind subclasses it."""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404, QueryDict
from rest_framework import exceptions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

import pwpush
from audit.models import AuditLog

from . import params
from .api_support import StorageUnavailable, UploadRefused, base_url, error, not_found
from .models import PasswordPush, Push, find_push, model_for_kind, push_models
from .serializers import (
    AuditLogSerializer,
    PushListSerializer,
    PushRetrieveSerializer,
    PushSerializer,
)

log = logging.getLogger(__name__)
PAGE_SIZE = 50
KNOWN_KINDS = ("text", "file", "url", "qr")
KIND_LABELS = {"text": "Text", "file": "File", "url": "URL", "qr": "QR code"}
KIND_SWITCHES = {
    "file": "ENABLE_FILE_PUSHES",
    "url": "ENABLE_URL_PUSHES",
    "qr": "ENABLE_QR_PUSHES",
}
PASSPHRASE_401 = {
    "error": "That passphrase is incorrect.",
    "message": "This push requires a passphrase. Please provide it using the 'passphrase' parameter "
    "(e.g. ?passphrase=mysecret)",
    "status": "unauthorized",
}


def is_prefetch(request: Request) -> bool:
    meta = request.META
    purpose = " ".join(
        meta.get(h, "")
        for h in ("HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_PURPOSE", "HTTP_X_MOZ")
    )
    return any(word in purpose.lower() for word in ("prefetch", "preview", "prerender"))


def current_minute() -> int:
    return int(time.time() // 60)


def passphrase_attempts_exceeded(push: Push) -> bool:
    """Counts one attempt in the shared cache; True past the limit for this minute (spec §7.2.3).

    Called on the locked push row, so the count is exact even on the database cache.
    """
    # One counter per push per clock minute: a lockout ends at the next minute whatever the
    # backend does with timeouts (the database cache's incr() resets them to 5 minutes).
    key = f"pwpush:passphrase:{hashlib.sha256(push.url_token.encode()).hexdigest()}:{current_minute()}"
    cache.add(key, 0, timeout=120)
    try:
        attempts = cache.incr(key)
    except ValueError:  # culled between add and incr
        cache.set(key, 1, timeout=120)
        attempts = 1
    return attempts > settings.PASSPHRASE_ATTEMPTS_PER_MINUTE


class PushViewSet(viewsets.ViewSet):
    """create, retrieve, preview, audit, destroy, active and expired for one URL prefix."""

    model: type[Push] | None = (
        PasswordPush  # the prefix's own kind, tried first on lookups
    )
    param_key = "password"
    # Kinds listed by active/expired under this prefix; None lists every kind.
    list_models: list[type[Push]] | None = None
    anonymous_create = True
    enabled_setting: str | None = None

    # --- gates (spec §4.2, §4.5) ---

    def initial(self, request: Request, *args, **kwargs) -> None:
        if self.enabled_setting and not getattr(settings, self.enabled_setting):
            raise Http404  # the routes of a disabled kind do not exist
        super().initial(request, *args, **kwargs)

    def check_permissions(self, request: Request) -> None:
        user = request.user
        if not user.is_authenticated:
            needs_user = {"audit", "active", "expired"} | (
                set() if self.anonymous_create else {"create"}
            )
            if not settings.ALLOW_ANONYMOUS or self.action in needs_user:
                raise exceptions.NotAuthenticated()
        elif settings.REQUIRE_MFA and not user.two_factor_enabled:
            raise exceptions.PermissionDenied(
                "Two-factor authentication is required. Please set it up to continue."
            )

    def context(self, request: Request, extra: dict | None = None) -> dict:
        locale = (extra or {}).get(
            "push_locale", request.query_params.get("push_locale")
        )
        return {
            "request": request,
            "base_url": base_url(request),
            "locale": locale if locale in settings.ENABLED_LANGUAGE_CODES else None,
        }

    # --- create ---

    def create(self, request: Request) -> Response:
        try:
            return self.create_push(request)
        finally:
            # uploads stored while parsing that no push claimed (refused, invalid, crashed)
            for handler in getattr(request._request, "_upload_handlers", []):
                if hasattr(handler, "discard"):
                    handler.discard()

    def create_push(self, request: Request) -> Response:
        missing = error(
            400, f"param is missing or the value is empty or invalid: {self.param_key}"
        )
        body = self.read_body(request)
        if body is None:
            return missing
        if isinstance(body, Response):
            return body
        merged = {**params.nest(request.query_params), **body}
        fields = merged.get(self.param_key)
        if not isinstance(fields, dict) or not fields:
            return missing
        resolved = self.resolve_kind(fields, request)
        if isinstance(resolved, Response):
            return resolved
        model, kind = resolved
        push = model.from_params(kind, fields, request.user)
        errors = push.validate()
        if errors:
            return Response(errors, status=422)
        with transaction.atomic():
            push.save()
            push.after_create()
            AuditLog.objects.record(request, push, AuditLog.Kind.CREATION)
        return Response(
            PushListSerializer(push, context=self.context(request, merged)).data,
            status=201,
        )

    def read_body(self, request: Request) -> dict | Response | None:
        """The parsed body as nested dicts; None when it is unusable (the 400 of spec §3.3)."""
        try:
            if not request.content_type.startswith("multipart/"):
                _ = request._request.body  # enforces DATA_UPLOAD_MAX_MEMORY_SIZE first
            data = request.data
        except (exceptions.ParseError, exceptions.UnsupportedMediaType, RecursionError):
            return None  # unparseable, or nested deeper than any real request
        except RequestDataTooBig:
            return error(413, "The request body is too large.")
        except UploadRefused as refused:
            return Response(refused.body, status=refused.status)
        except StorageUnavailable:
            return error(503, "File storage is unavailable. Please try again later.")
        except SuspiciousOperation:  # too many fields or files
            return error(400, "The request has too many fields.")
        except OSError:
            # the client went away mid-body (UnreadablePostError, gunicorn's NoMoreData)
            return error(400, "The request body could not be read completely.")
        handlers = getattr(request._request, "_upload_handlers", [])
        if any(getattr(handler, "interrupted", False) for handler in handlers):
            return error(400, "The request body could not be read completely.")
        if isinstance(data, QueryDict):
            data = params.nest(data)  # DRF has merged any uploaded files in
        return data if isinstance(data, dict) else None

    def resolve_kind(
        self, fields: dict, request: Request
    ) -> tuple[type[Push], str] | Response:
        """The model and kind to create, or the 401/422 that refuses them (spec §3.4, §4.3)."""
        kind = self.infer_kind(fields)
        uploads = params.as_list(fields.get("files"))
        if kind == "text" and any(isinstance(item, UploadedFile) for item in uploads):
            # a text push with attachments is a file push here (spec §14.17)
            kind = "file"
        if (kind == "file" or "files" in fields) and not request.user.is_authenticated:
            return error(401, "You need to sign in or sign up before continuing.")
        if kind not in KNOWN_KINDS:
            return Response(
                {"kind": ["is not within the available options"]}, status=422
            )
        model = model_for_kind(kind)
        if model is None or not getattr(settings, KIND_SWITCHES.get(kind, ""), True):
            label = KIND_LABELS[kind]
            return Response({"kind": [f"{label} pushes are disabled."]}, status=422)
        return model, kind

    def infer_kind(self, fields: dict) -> str | None:
        """Spec §3.4, for /p.json. The /f and /r viewsets fix their kind."""
        kind = params.scalar(fields.get("kind", params.MISSING))
        if not params.is_blank(kind):
            return kind if isinstance(kind, str) else None
        return "file" if "files" in fields else "text"

    # --- retrieve ---

    def retrieve(self, request: Request, url_token: str) -> Response:
        if request.method == "HEAD" or is_prefetch(request):
            return self.peek(request, url_token)
        supplied = request.query_params.get("passphrase")
        with transaction.atomic():
            push = find_push(url_token, self.model, lock=True)
            if push is None:
                return not_found()
            if not params.is_blank(supplied):
                refused = self.passphrase_limit(push)
                if refused is not None:
                    return refused
            if push.due_to_expire:
                push.expire()
            if (
                push.has_passphrase
                and not push.expired
                and not push.passphrase_matches(supplied or "")
            ):
                AuditLog.objects.record(request, push, AuditLog.Kind.FAILED_PASSPHRASE)
                return Response(PASSPHRASE_401, status=401)
            kind = push.claim_view(request.user)
            AuditLog.objects.record(request, push, kind)
            data = PushRetrieveSerializer(push, context=self.context(request)).data
            # The view that used the last allowance still sees the payload (spec §7.2.1 step 8).
            if (
                kind == AuditLog.Kind.VIEW
                and push.views_remaining == 0
                and not push.has_attachments
            ):
                push.expire()
        return Response(data)

    def passphrase_limit(self, push: Push) -> Response | None:
        """The 429 past the limit; a 503 when the counter cannot be kept (fail closed)."""
        try:
            exceeded = passphrase_attempts_exceeded(push)
        except (
            Exception
        ) as exc:  # the cache (Redis) is down: never allow unlimited guesses
            log.error(
                "passphrase limit unavailable (%s): refusing attempts",
                type(exc).__name__,
            )
            return error(
                503, "Passphrase checks are unavailable. Please try again later."
            )
        if not exceeded:
            return None
        response = error(
            429, "Too many passphrase attempts. Please try again in a minute."
        )
        response["Retry-After"] = str(60 - int(time.time()) % 60)
        return response

    def peek(self, request: Request, url_token: str) -> Response:
        """HEAD and prefetch: say whether the push exists, never claim a view (spec §15.7)."""
        if find_push(url_token, self.model) is None:
            return not_found()
        if request.method == "HEAD":
            return Response(status=200)
        return error(
            503, "Prefetch requests do not open pushes; request it again to view it."
        )

    # --- preview, audit, destroy ---

    def preview(self, request: Request, url_token: str) -> Response:
        push = find_push(url_token, self.model)
        if push is None:
            return not_found()
        return Response(
            {
                "url": PushSerializer(push, context=self.context(request)).data[
                    "html_url"
                ]
            }
        )

    def audit(self, request: Request, url_token: str) -> Response:
        push = find_push(url_token, self.model)
        if push is None:
            return not_found()
        if not push.is_owned_by(request.user):
            return error(403, "That push doesn't belong to you.")
        page = self.page(request)
        if page is None:
            return error(400, "Invalid page parameter")
        entries = push.audit_logs.order_by("created_at", "id")[
            (page - 1) * PAGE_SIZE : page * PAGE_SIZE
        ]
        return Response({"views": AuditLogSerializer(entries, many=True).data})

    def destroy(self, request: Request, url_token: str) -> Response:
        with transaction.atomic():
            push = find_push(url_token, self.model, lock=True)
            if push is None:
                return not_found()
            if not push.is_deletable_by(request.user):
                return error(401, "That push is not deletable by viewers.")
            if not push.expired:
                push.expire(deleted=True)
                AuditLog.objects.record(request, push, AuditLog.Kind.EXPIRE)
        return Response(PushSerializer(push, context=self.context(request)).data)

    # --- lists ---

    def active(self, request: Request) -> Response:
        return self.owned_list(request, expired=False)

    def expired(self, request: Request) -> Response:
        return self.owned_list(request, expired=True)

    def owned_list(self, request: Request, *, expired: bool) -> Response:
        page = self.page(request)
        if page is None:
            return error(400, "Invalid page parameter")
        models = push_models() if self.list_models is None else self.list_models
        pushes = owned_pushes(request.user, models, expired, page)
        return Response(
            PushListSerializer(pushes, many=True, context=self.context(request)).data
        )

    def page(self, request: Request) -> int | None:
        if any(key.startswith("page[") for key in request.query_params):
            return None
        return params.parse_page(request.query_params.get("page"))


def owned_pushes(
    user, models: list[type[Push]], expired: bool, page: int
) -> list[Push]:
    """One page of the user's pushes over several kinds, newest first."""
    rows = []
    for model in models:
        queryset = (
            model.objects.owned_by(user)
            .filter(expired=expired)
            .order_by("-created_at", "-pk")
        )
        rows += [
            (created, pk, model)
            for pk, created in queryset.values_list("pk", "created_at")[
                : page * PAGE_SIZE
            ]
        ]
    rows.sort(key=lambda row: (row[0], row[1]), reverse=True)
    window = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    loaded = {}
    for model in {row[2] for row in window}:
        loaded.update(
            {
                (model, p.pk): p
                for p in model.objects.filter(
                    pk__in=[r[1] for r in window if r[2] is model]
                )
            }
        )
    return [loaded[(model, pk)] for _, pk, model in window]


class PasswordPushViewSet(PushViewSet):
    model = PasswordPush
    param_key = "password"


class VersionView(APIView):
    """GET /api/v1/version(.json): always public; bad credentials are ignored (spec §7.7)."""

    authentication_classes: list = []

    def get(self, request: Request) -> Response:
        return Response(
            {
                "application_version": pwpush.__version__,
                "api_version": "1.5",
                "edition": "oss",
            }
        )
