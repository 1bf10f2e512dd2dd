"""Uploads are encrypted as they arrive: Django's multipart parser hands each piece to
EncryptingUploadHandler, which seals it into a temporary file that storage then takes whole.
Memory stays at a few chunks whatever the file's size."""

import base64
import mimetypes
import os
import re
import secrets
import tempfile
import time
import unicodedata

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from pushes.api_support import StorageUnavailable, UploadRefused

from .models import PendingDeletion, file_storage
from .streaming import Encryptor, new_file_key

MAX_FILENAME = 255
CONTENT_TYPE = re.compile(
    r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}"
)
SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
]


def clean_filename(name: str) -> str:
    """The name as given, less any path, control characters and excess length."""
    name = re.split(r"[/\\]", name or "")[-1]
    name = "".join(
        ch for ch in name if not unicodedata.category(ch).startswith("C")
    ).strip()
    if name in {"", ".", ".."}:
        name = "file"
    if len(name) > MAX_FILENAME:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[: MAX_FILENAME - len(ext)] + ext
    return name


def detect_content_type(first_bytes: bytes, declared: str, filename: str) -> str:
    """From the content's signature, else the declared type, else the name."""
    for signature, content_type in SIGNATURES:
        if first_bytes.startswith(signature):
            return content_type
    declared = (declared or "").split(";")[0].strip().lower()
    if CONTENT_TYPE.fullmatch(declared) and declared != "application/octet-stream":
        return declared
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


class SealedFile(File):
    """A finished ciphertext on local disk; FileSystemStorage moves it rather than copying."""

    def temporary_file_path(self) -> str:
        return self.file.name


class EncryptedUpload(UploadedFile):
    """What the parser hands the view for each file: metadata only; the bytes are stored."""

    def __init__(
        self, *, name: str, content_type: str, size: int, storage_name: str, key: bytes
    ) -> None:
        super().__init__(file=None, name=name, content_type=content_type, size=size)
        self.storage_name = storage_name
        self.file_key = base64.b64encode(key).decode("ascii")

    def close(self) -> None:
        """Nothing to close: the parser closes parsed files when a later one is refused."""


class EncryptingUploadHandler(FileUploadHandler):
    """Seals each uploaded file under its own key and puts the ciphertext in storage."""

    # Read 1 MiB at a time from the request (gunicorn copies its buffer on every read); the
    # cipher still seals 64 KiB chunks.
    chunk_size = 1024 * 1024

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.stored: list[str] = []
        self.non_empty = 0
        self.temp = None
        self.interrupted = False

    def new_file(
        self,
        field_name,
        file_name,
        content_type,
        content_length,
        charset=None,
        content_type_extra=None,
    ):
        super().new_file(
            field_name,
            file_name,
            content_type,
            content_length,
            charset,
            content_type_extra,
        )
        self.skipping = not field_name.endswith("[files][]")
        if self.skipping:
            raise SkipFile()  # unknown keys are ignored (spec §3.2): never stored
        user = getattr(self.request, "user", None)
        # nothing is stored for anonymous callers (spec §4.3)
        if user is None or not user.is_authenticated:
            raise UploadRefused(
                401, {"error": "You need to sign in or sign up before continuing."}
            )
        self.key = new_file_key()
        self.encryptor = Encryptor(self.key)
        self.size = 0
        self.head = b""
        self.storage_name = f"files/{secrets.token_urlsafe(24)}"
        # write-ahead: if anything dies from here on, the sweep deletes what was stored
        PendingDeletion.objects.before_upload(self.storage_name)
        self.queued_at = time.monotonic()
        self.stored.append(self.storage_name)
        self.temp = tempfile.NamedTemporaryFile(
            prefix="pwpush-upload-", dir=upload_temp_dir(), delete=False
        )

    def receive_data_chunk(self, raw_data: bytes, start: int):
        if self.size == 0 and raw_data:
            self.non_empty += 1
            limit = settings.PUSH_SETTINGS["files"]["max_file_uploads"]
            if self.non_empty > limit:
                raise UploadRefused(
                    422,
                    {"files": [f"You can only attach up to {limit} files per push."]},
                )
        self.size += len(raw_data)
        if self.size > settings.MAX_FILE_SIZE:
            raise UploadRefused(
                413,
                {
                    "error": f"A file is larger than the limit of {settings.MAX_FILE_SIZE} bytes."
                },
            )
        if len(self.head) < 16:
            self.head += raw_data[: 16 - len(self.head)]
        if time.monotonic() - self.queued_at > 60:
            # a long upload keeps its queue entry from looking abandoned to the sweep
            PendingDeletion.objects.before_upload(self.storage_name)
            self.queued_at = time.monotonic()
        self.temp.write(self.encryptor.write(raw_data))
        return None

    def file_complete(self, file_size: int):
        self.temp.write(self.encryptor.finish())
        self.temp.close()
        # queued again right before storing: whatever a sweep did meanwhile, nothing is
        # stored that is not queued for deletion until its push claims it
        PendingDeletion.objects.before_upload(self.storage_name)
        try:
            with open(self.temp.name, "rb") as sealed:
                stored_as = file_storage().save(
                    self.storage_name, SealedFile(sealed, name=self.storage_name)
                )
        except Exception as exc:
            raise StorageUnavailable(type(exc).__name__) from exc
        finally:
            # local storage moves the file instead of copying it
            if os.path.exists(self.temp.name):
                os.unlink(self.temp.name)
            self.temp = None
        if stored_as != self.storage_name:  # storage renamed it: track the real name
            PendingDeletion.objects.filter(storage_name=self.storage_name).update(
                storage_name=stored_as
            )
            self.stored[-1] = self.storage_name = stored_as
        name = clean_filename(self.file_name)
        return EncryptedUpload(
            name=name,
            content_type=detect_content_type(self.head, self.content_type, name),
            size=self.size,
            storage_name=self.storage_name,
            key=self.key,
        )

    def upload_interrupted(self) -> None:
        """The body ended inside a file: the request is refused, not half-kept."""
        # Django also calls this when the last file part was one it was told to skip
        self.interrupted = not getattr(self, "skipping", False)
        self.discard_temp()

    def discard_temp(self) -> None:
        if self.temp is not None:
            self.temp.close()
            os.unlink(self.temp.name)
            self.temp = None

    def discard(self) -> None:
        """Removes what this request stored but no push claimed (a refused or failed create)."""
        self.discard_temp()
        unclaimed = PendingDeletion.objects.filter(storage_name__in=self.stored)
        PendingDeletion.objects.purge(
            list(unclaimed.values_list("storage_name", flat=True))
        )


def upload_temp_dir() -> str:
    path = settings.DATA_DIR / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)
