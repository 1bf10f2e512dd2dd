"""File pushes (/f): the /f conformance cases of spec §17, encrypted storage at rest, downloads,
deferred expiry and purging, and hostile uploads."""

import base64
import os
import shutil
import struct
import tempfile
import time
import zlib
from datetime import timedelta
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import SimpleTestCase, override_settings
from django.utils import timezone

from audit.models import AuditLog
from files.models import (
    DOWNLOAD_SALT,
    Attachment,
    FilePush,
    PendingDeletion,
    file_storage,
)
from files.streaming import (
    CHUNK_SIZE,
    HEADER_BYTES,
    MAGIC,
    TAG_BYTES,
    TamperedFile,
    decrypt_stream,
    encrypt_bytes,
    new_file_key,
)
from files.tasks import purge_files
from pushes.models import PasswordPush
from pushes.tasks import expire_due_pushes
from urls.models import UrlPush

from .base import BaseTestCase, make_password_push
from .spec import CREATE_KEYS, DEFAULT_VALUES

SIGN_IN = {"error": "You need to sign in or sign up before continuing."}
NOT_FOUND = {"error": "not-found"}
DAMAGED = {"error": "The stored file is damaged and cannot be decrypted."}
STORAGE_DOWN = {"error": "File storage is unavailable. Please try again later."}
TOO_MANY = {"files": ["You can only attach up to 10 files per push."]}
BOUNDARY = "pwpush-test-boundary-7f3a"


def tiny_png() -> bytes:
    """A valid 1x1 RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def raw_multipart(
    fields: dict[str, str], files: list[tuple[str, str, bytes, str]]
) -> bytes:
    """A multipart body built by hand, so file names reach the server exactly as given."""
    lines: list[bytes] = []
    for name, value in fields.items():
        lines += [
            f"--{BOUNDARY}".encode(),
            f'Content-Disposition: form-data; name="{name}"'.encode(),
            b"",
            value.encode(),
        ]
    for field, filename, content, content_type in files:
        disposition = (
            f'Content-Disposition: form-data; name="{field}"; filename="{filename}"'
        )
        lines += [
            f"--{BOUNDARY}".encode(),
            disposition.encode(),
            f"Content-Type: {content_type}".encode(),
            b"",
            content,
        ]
    lines += [f"--{BOUNDARY}--".encode(), b""]
    return b"\r\n".join(lines)


def content_of(response) -> bytes:
    return (
        b"".join(response.streaming_content) if response.streaming else response.content
    )


class FailingStorage(FileSystemStorage):
    """A storage whose backend is down: every save fails."""

    def _save(self, name, content):
        raise OSError("storage is down")


class DownStorage(FailingStorage):
    """A storage that is wholly down: saves and deletes fail."""

    def delete(self, name):
        raise OSError("storage is down")


class SecondSaveFailsStorage(FileSystemStorage):
    """A storage that goes down after taking one file."""

    saves = 0

    def _save(self, name, content):
        self.saves += 1
        if self.saves > 1:
            raise OSError("storage is down")
        return super()._save(name, content)


class FileTestCase(BaseTestCase):
    """Points default storage and the upload temp dir at fresh directories for each test."""

    storage_backend = "django.core.files.storage.FileSystemStorage"

    def setUp(self) -> None:
        super().setUp()
        self.root = tempfile.mkdtemp(prefix="pwpush-file-tests-")
        self.storage_dir = Path(self.root) / "storage"
        self.data_dir = Path(self.root) / "data"
        self.storage_dir.mkdir()
        default = {
            "BACKEND": self.storage_backend,
            "OPTIONS": {"location": str(self.storage_dir)},
        }
        self.overrides = override_settings(
            STORAGES={**settings.STORAGES, "default": default}, DATA_DIR=self.data_dir
        )
        self.overrides.enable()

    def tearDown(self) -> None:
        self.overrides.disable()
        shutil.rmtree(self.root, ignore_errors=True)
        super().tearDown()

    # --- helpers ---

    def upload(
        self,
        files: list[tuple],
        *,
        fields: dict | None = None,
        token: str | None = "alice",
        path: str = "/f.json",
        key: str = "file_push",
    ):
        """POST multipart; files are (name, bytes) or (name, bytes, content type)."""
        data = {f"{key}[{name}]": value for name, value in (fields or {}).items()}
        data[f"{key}[files][]"] = [
            SimpleUploadedFile(
                f[0], f[1], content_type=f[2] if len(f) > 2 else "text/plain"
            )
            for f in files
        ]
        headers = (
            self.auth(self.alice_token if token == "alice" else token) if token else {}
        )
        return self.client.post(path, data, format="multipart", **headers)

    def upload_raw(
        self,
        files: list[tuple[str, bytes]],
        *,
        fields: dict | None = None,
        key: str = "file_push",
    ):
        body = raw_multipart(
            {f"{key}[{k}]": v for k, v in (fields or {}).items()},
            [
                (f"{key}[files][]", name, data, "application/octet-stream")
                for name, data in files
            ],
        )
        return self.client.post(
            "/f.json",
            body,
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
            **self.auth(self.alice_token),
        )

    def make_file_push(self, files: list[tuple], **fields) -> str:
        """Creates a file push owned by alice through the API; returns its url_token."""
        response = self.upload(files, fields={"payload": "Message", **fields})
        self.assertEqual(response.status_code, 201, response.content)
        return response.json()["url_token"]

    def owner_view(self, url_token: str, prefix: str = "f") -> dict:
        """Retrieves as the owner: not counted (spec §7.2.4)."""
        response = self.client.get(
            f"/{prefix}/{url_token}.json", **self.auth(self.alice_token)
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def anonymous_view(self, url_token: str) -> dict:
        response = self.client.get(f"/f/{url_token}.json")
        self.assertEqual(response.status_code, 200)
        return response.json()

    def download(self, url: str):
        return self.client.get(url)

    def downloaded(self, url: str) -> bytes:
        response = self.download(url)
        self.assertEqual(response.status_code, 200, getattr(response, "content", b""))
        return content_of(response)

    def stored_files(self) -> list[Path]:
        return sorted(path for path in self.storage_dir.rglob("*") if path.is_file())

    def leftover_temp_files(self) -> list[str]:
        tmp = self.data_dir / "tmp"
        return sorted(os.listdir(tmp)) if tmp.exists() else []

    def assertNothingStored(self) -> None:
        self.assertEqual(FilePush.objects.count(), 0)
        self.assertEqual(Attachment.objects.count(), 0)
        self.assertEqual(self.stored_files(), [])
        self.assertEqual(PendingDeletion.objects.count(), 0)
        self.assertEqual(self.leftover_temp_files(), [])


class CreateFilePushTestCase(FileTestCase):
    def test_it_creates_a_file_push_with_the_defaults(self) -> None:  # case 48
        response = self.upload(
            [("monkey.png", tiny_png(), "image/png")], fields={"payload": "Message"}
        )
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual(set(body), CREATE_KEYS)
        self.assertEqual({key: body[key] for key in DEFAULT_VALUES}, DEFAULT_VALUES)
        push = FilePush.objects.get(url_token=body["url_token"])
        self.assertEqual((push.payload, push.user), ("Message", self.alice))
        self.assertEqual(push.attachments.count(), 1)
        self.assertEqual(len(self.stored_files()), 1)
        self.assertEqual(PendingDeletion.objects.count(), 0)  # claimed by the push
        self.assertEqual(self.leftover_temp_files(), [])
        self.assertEqual(
            [e.kind for e in AuditLog.objects.for_push(push)], ["creation"]
        )

    def test_it_refuses_an_anonymous_upload_on_f_with_an_empty_401(
        self,
    ) -> None:  # case 49
        response = self.upload(
            [("monkey.png", tiny_png())], fields={"payload": "Message"}, token=None
        )
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.content, b"")
        self.assertNothingStored()

    def test_it_needs_the_file_push_key(self) -> None:  # case 50
        response = self.client.post("/f.json", {}, **self.auth(self.alice_token))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json(),
            {"error": "param is missing or the value is empty or invalid: file_push"},
        )
        self.assertNothingStored()

    def test_it_stores_a_file_kind_from_p_with_files_and_no_kind(
        self,
    ) -> None:  # case 51
        for fields in (
            {"payload": "x"},
            {"payload": "x", "kind": "file"},
            {"payload": "x", "kind": "text"},
        ):
            with self.subTest(fields=fields):
                response = self.upload(
                    [("f.txt", b"hello")], fields=fields, path="/p.json", key="password"
                )
                self.assertEqual(response.status_code, 201, response.content)
                push = FilePush.objects.get(url_token=response.json()["url_token"])
                self.assertEqual(
                    [a.filename for a in push.attachments.all()], ["f.txt"]
                )
                self.assertEqual(push.payload, "x")
        self.assertEqual(PasswordPush.objects.count(), 0)
        self.assertEqual(PendingDeletion.objects.count(), 0)

    def test_it_refuses_an_anonymous_upload_on_p_with_the_sign_in_body(
        self,
    ) -> None:  # case 52
        response = self.upload(
            [("f.txt", b"hello")],
            fields={"payload": "x"},
            token=None,
            path="/p.json",
            key="password",
        )
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json(), SIGN_IN)
        self.assertNothingStored()
        self.assertEqual(PasswordPush.objects.count(), 0)

    def test_it_refuses_anonymous_empty_files_or_file_kind_on_p(
        self,
    ) -> None:  # case 53
        for fields in ({"payload": "x", "files": []}, {"payload": "x", "kind": "file"}):
            with self.subTest(fields=fields):
                response = self.client.post(
                    "/p.json", {"password": fields}, format="json"
                )
                self.assertEqual(response.status_code, 401)
                self.assertEqual(response.json(), SIGN_IN)
        self.assertNothingStored()
        self.assertEqual(PasswordPush.objects.count(), 0)

    def test_it_refuses_eleven_files_and_stores_nothing(self) -> None:  # case 54
        response = self.upload([(f"f{i}.txt", f"file {i}".encode()) for i in range(11)])
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json(), TOO_MANY)
        self.assertNothingStored()

    def test_it_accepts_exactly_ten_files(self) -> None:
        token = self.make_file_push(
            [(f"f{i}.txt", f"file {i}".encode()) for i in range(10)]
        )
        self.assertEqual(len(self.owner_view(token)["files"]), 10)
        self.assertEqual(len(self.stored_files()), 10)

    @override_settings(
        PUSH_SETTINGS={
            **settings.PUSH_SETTINGS,
            "files": {**settings.PUSH_SETTINGS["files"], "max_file_uploads": 2},
        }
    )
    def test_it_takes_the_file_limit_from_settings(self) -> None:
        response = self.upload([("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c")])
        self.assertEqual(response.status_code, 422)
        self.assertEqual(
            response.json(), {"files": ["You can only attach up to 2 files per push."]}
        )
        self.assertNothingStored()

    def test_it_does_not_count_empty_files_toward_the_limit(
        self,
    ) -> None:  # §8.1: non-empty files
        files = [(f"f{i}.txt", b"x") for i in range(10)] + [("empty.txt", b"")]
        token = self.make_file_push(files)
        self.assertEqual(len(self.owner_view(token)["files"]), 11)

    @override_settings(ENABLE_FILE_PUSHES=False)
    def test_it_has_no_f_routes_when_file_pushes_are_disabled(self) -> None:  # case 55
        for method, path in (("post", "/f.json"), ("get", "/f/active.json")):
            with self.subTest(path=path):
                response = getattr(self.client, method)(
                    path, **self.auth(self.alice_token)
                )
                self.assertEqual(response.status_code, 404)
                self.assertEqual(response.json(), {"status": 404, "error": "Not Found"})
        self.assertEqual(self.upload([("f.txt", b"hello")]).status_code, 404)
        response = self.upload(
            [("f.txt", b"hello")],
            fields={"payload": "x"},
            path="/p.json",
            key="password",
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json(), {"kind": ["File pushes are disabled."]})
        self.assertNothingStored()

    def test_it_creates_a_file_push_with_zero_files(
        self,
    ) -> None:  # §8.1: no minimum file count
        response = self.client.post(
            "/f.json",
            {"file_push[payload]": "just text"},
            format="multipart",
            **self.auth(self.alice_token),
        )
        self.assertEqual(response.status_code, 201, response.content)
        token = response.json()["url_token"]
        self.assertEqual(FilePush.objects.get(url_token=token).attachments.count(), 0)
        body = self.owner_view(token)
        self.assertEqual((body["payload"], body["files"]), ("just text", []))

    def test_it_creates_a_file_push_without_a_message(
        self,
    ) -> None:  # §7.1.1: payload optional
        response = self.upload([("f.txt", b"hello")])
        self.assertEqual(response.status_code, 201, response.content)
        body = self.owner_view(response.json()["url_token"])
        self.assertIn(body["payload"], ("", None))
        self.assertEqual(len(body["files"]), 1)

    def test_it_keeps_duplicate_names_apart(self) -> None:
        token = self.make_file_push([("same.txt", b"first"), ("same.txt", b"second")])
        files = self.owner_view(token)["files"]
        self.assertEqual([f["filename"] for f in files], ["same.txt", "same.txt"])
        self.assertNotEqual(files[0]["url"], files[1]["url"])
        self.assertEqual(
            [self.downloaded(f["url"]) for f in files], [b"first", b"second"]
        )
        self.assertEqual(len(self.stored_files()), 2)

    def test_it_discards_uploads_sent_with_a_url_push(self) -> None:
        response = self.upload(
            [("f.txt", b"hello")],
            fields={"payload": "https://example.com"},
            path="/r.json",
            key="url",
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertTrue(
            UrlPush.objects.filter(url_token=response.json()["url_token"]).exists()
        )
        self.assertNothingStored()

    def test_it_discards_uploads_of_an_invalid_create(self) -> None:
        response = self.upload(
            [("f.txt", b"hello")], fields={"payload": "x", "name": "n" * 1025}
        )
        self.assertEqual(response.status_code, 422)
        self.assertIn("name", response.json())
        self.assertNothingStored()


class UploadLimitsTestCase(FileTestCase):
    @override_settings(MAX_FILE_SIZE=1000)
    def test_it_refuses_a_file_over_the_size_limit(self) -> None:
        response = self.upload([("big.bin", b"b" * 1001)])
        self.assertEqual(response.status_code, 413)
        self.assertEqual(
            response.json(), {"error": "A file is larger than the limit of 1000 bytes."}
        )
        self.assertNothingStored()

    @override_settings(MAX_FILE_SIZE=1000)
    def test_it_refuses_a_file_over_the_size_limit_after_a_good_one(self) -> None:
        response = self.upload([("small.txt", b"s" * 10), ("big.bin", b"b" * 1001)])
        self.assertEqual(response.status_code, 413)
        self.assertEqual(response["Content-Type"], "application/json; charset=utf-8")
        self.assertEqual(
            response.json(), {"error": "A file is larger than the limit of 1000 bytes."}
        )
        self.assertNothingStored()

    @override_settings(MAX_FILE_SIZE=1000)
    def test_it_accepts_a_file_of_exactly_the_size_limit(self) -> None:
        token = self.make_file_push([("edge.bin", b"e" * 1000)])
        self.assertEqual(
            self.downloaded(self.owner_view(token)["files"][0]["url"]), b"e" * 1000
        )


class StorageOutageTestCase(FileTestCase):
    storage_backend = f"{__name__}.FailingStorage"

    def test_it_answers_503_and_keeps_nothing_when_storage_is_down(self) -> None:
        response = self.upload([("f.txt", b"hello")], fields={"payload": "x"})
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json(), STORAGE_DOWN)
        self.assertNothingStored()

    def test_it_still_creates_pushes_without_files_when_storage_is_down(self) -> None:
        response = self.client.post(
            "/f.json",
            {"file_push[payload]": "x"},
            format="multipart",
            **self.auth(self.alice_token),
        )
        self.assertEqual(response.status_code, 201)


class FullStorageOutageTestCase(FileTestCase):
    storage_backend = f"{__name__}.DownStorage"

    def test_it_answers_503_and_queues_the_name_for_the_sweep(self) -> None:
        response = self.upload([("f.txt", b"hello")], fields={"payload": "x"})
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json(), STORAGE_DOWN)
        self.assertEqual(FilePush.objects.count(), 0)
        self.assertEqual(self.stored_files(), [])
        self.assertEqual(self.leftover_temp_files(), [])
        pending = (
            PendingDeletion.objects.get()
        )  # the delete failed too: purge_files retries it later
        self.assertEqual((pending.attempts, pending.last_error), (1, "OSError"))


class MidwayStorageOutageTestCase(FileTestCase):
    storage_backend = f"{__name__}.SecondSaveFailsStorage"

    def test_it_answers_503_and_removes_what_was_stored_when_storage_fails_midway(
        self,
    ) -> None:
        response = self.upload(
            [("a.txt", b"first"), ("b.txt", b"second")], fields={"payload": "x"}
        )
        self.assertEqual(file_storage().saves, 2)
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json(), STORAGE_DOWN)
        self.assertNothingStored()


class FileNamesTestCase(FileTestCase):
    def assertStoredSafely(self, given: str, expected: str) -> None:
        response = self.upload_raw([(given, b"payload bytes")])
        self.assertEqual(response.status_code, 201, response.content)
        body = self.owner_view(response.json()["url_token"])
        self.assertEqual(body["files"][0]["filename"], expected)
        self.assertEqual(self.downloaded(body["files"][0]["url"]), b"payload bytes")
        names = [
            path.relative_to(self.storage_dir).as_posix()
            for path in self.stored_files()
        ]
        self.assertEqual(len(names), 1)
        self.assertRegex(names[0], r"^files/[A-Za-z0-9_-]{32}$")
        everything = [path for path in Path(self.root).rglob("*") if path.is_file()]
        self.assertEqual(
            everything, self.stored_files()
        )  # nothing written outside storage

    def test_it_drops_path_parts(self) -> None:
        for given, expected in (
            ("../../etc/passwd", "passwd"),
            ("a\\b.txt", "b.txt"),
            ("/abs/path.txt", "path.txt"),
        ):
            with self.subTest(given=given):
                self.assertStoredSafely(given, expected)
                shutil.rmtree(self.storage_dir / "files")

    def test_it_drops_control_characters(self) -> None:
        self.assertStoredSafely("ev\til\x07\x1b[31m.txt\u200b", "evil[31m.txt")

    def test_it_shortens_a_1000_character_name_keeping_the_extension(self) -> None:
        self.assertStoredSafely("a" * 996 + ".txt", "a" * 251 + ".txt")

    def test_it_shortens_a_300_character_name_keeping_the_extension(self) -> None:
        self.assertStoredSafely("b" * 296 + ".txt", "b" * 251 + ".txt")

    def test_it_names_a_file_with_nothing_left(self) -> None:
        self.assertStoredSafely("   ", "file")

    def test_it_sends_a_non_ascii_name_as_filename_star(self) -> None:
        token = self.make_file_push(
            [("résumé 😀.pdf", b"%PDF-1.4 x", "application/pdf")]
        )
        file = self.owner_view(token)["files"][0]
        self.assertEqual(file["filename"], "résumé 😀.pdf")
        response = self.download(file["url"])
        self.assertEqual(response.status_code, 200)
        expected = "attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20%F0%9F%98%80.pdf"
        self.assertEqual(response["Content-Disposition"], expected)
        self.assertEqual(content_of(response), b"%PDF-1.4 x")

    def test_it_sends_an_ascii_name_quoted(self) -> None:
        token = self.make_file_push([('say "hi".txt', b"hi")])
        response = self.download(self.owner_view(token)["files"][0]["url"])
        self.assertEqual(
            response["Content-Disposition"], 'attachment; filename="say \\"hi\\".txt"'
        )


class ContentTypeTestCase(FileTestCase):
    def test_it_detects_png_from_the_content(self) -> None:  # case 64
        token = self.make_file_push(
            [("monkey.png", tiny_png(), "application/octet-stream")]
        )
        file = self.anonymous_view(token)["files"][0]
        self.assertEqual(file["filename"], "monkey.png")
        self.assertEqual(file["content_type"], "image/png")
        self.assertRegex(file["url"], r"^http://testserver/pfb/[^/]+/monkey\.png$")
        response = self.download(file["url"])
        self.assertEqual(response["Content-Type"], "image/png")
        self.assertEqual(content_of(response), tiny_png())

    def test_it_trusts_the_content_over_the_declared_type(self) -> None:
        token = self.make_file_push([("page.html", tiny_png(), "text/html")])
        self.assertEqual(
            self.owner_view(token)["files"][0]["content_type"], "image/png"
        )

    def test_it_falls_back_to_the_declared_type_then_the_name(self) -> None:
        token = self.make_file_push(
            [
                ("notes.txt", b"plain", "text/csv"),
                ("notes.txt", b"plain", "nonsense"),
                ("blob", b"plain", "application/octet-stream"),
            ]
        )
        types = [f["content_type"] for f in self.owner_view(token)["files"]]
        self.assertEqual(types, ["text/csv", "text/plain", "application/octet-stream"])


class RetrieveFilePushTestCase(FileTestCase):
    def test_it_defers_expiry_until_the_next_retrieve(self) -> None:  # case 63
        token = self.make_file_push([("monkey.png", tiny_png())], expire_after_views=2)
        first = self.anonymous_view(token)
        self.assertEqual((first["views_remaining"], first["expired"]), (1, False))
        second = self.anonymous_view(token)
        self.assertEqual((second["views_remaining"], second["expired"]), (0, False))
        self.assertEqual(second["payload"], "Message")
        self.assertEqual(len(second["files"]), 1)
        push = FilePush.objects.get(url_token=token)
        self.assertIs(push.expired, False)
        self.assertEqual(push.payload, "Message")
        self.assertEqual(len(self.stored_files()), 1)
        with self.captureOnCommitCallbacks(execute=True):
            third = self.anonymous_view(token)
        self.assertIs(third["expired"], True)
        self.assertEqual(
            (third["files"], third["payload"], third["passphrase"]), ([], None, None)
        )
        self.assertEqual(self.stored_files(), [])
        self.assertEqual(Attachment.objects.count(), 0)
        self.assertEqual(PendingDeletion.objects.count(), 0)
        kinds = [e.kind for e in AuditLog.objects.for_push(push).order_by("pk")]
        self.assertEqual(kinds, ["creation", "view", "view", "failed_view"])

    def test_it_lists_files_with_absolute_signed_urls(self) -> None:  # case 64
        token = self.make_file_push([("monkey.png", tiny_png())])
        file = self.anonymous_view(token)["files"][0]
        self.assertEqual(set(file), {"filename", "content_type", "url"})
        self.assertEqual(file["filename"], "monkey.png")
        self.assertIsInstance(file["content_type"], str)
        self.assertTrue(file["url"].startswith("http://testserver/"))
        self.assertIn("/pfb/", file["url"])

    @override_settings(OVERRIDE_BASE_URL="https://example.com:12345")
    def test_it_uses_the_request_host_for_download_urls(self) -> None:  # §6.4
        token = self.make_file_push([("f.txt", b"x")])
        body = self.owner_view(token)
        self.assertTrue(body["html_url"].startswith("https://example.com:12345/"))
        self.assertTrue(body["files"][0]["url"].startswith("http://testserver/pfb/"))

    def test_it_retrieves_a_file_push_under_every_prefix(self) -> None:  # case 66
        token = self.make_file_push([("f.txt", b"hello")])
        for prefix in ("p", "f", "r"):
            with self.subTest(prefix=prefix):
                body = self.owner_view(token, prefix)
                self.assertEqual(body["payload"], "Message")
                self.assertEqual([f["filename"] for f in body["files"]], ["f.txt"])
                self.assertEqual(self.downloaded(body["files"][0]["url"]), b"hello")

    def test_it_erases_files_on_delete(self) -> None:  # case 93
        token = self.make_file_push([("a.txt", b"alpha"), ("b.txt", b"beta")])
        url = self.owner_view(token)["files"][0]["url"]
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.delete(
                f"/f/{token}.json", **self.auth(self.alice_token)
            )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            (response.json()["expired"], response.json()["deleted"]), (True, True)
        )
        body = self.client.get(f"/f/{token}.json").json()
        self.assertEqual(
            (body["files"], body["payload"], body["deleted"]), ([], None, True)
        )
        self.assertEqual(self.stored_files(), [])
        self.assertEqual(PendingDeletion.objects.count(), 0)
        self.assertEqual(Attachment.objects.count(), 0)
        self.assertEqual(self.download(url).status_code, 404)

    def test_it_lists_file_pushes_per_prefix(self) -> None:  # case 99
        text = make_password_push(user=self.alice)
        created = self.client.post(
            "/r.json",
            {"url[payload]": "https://the0x00.dev"},
            **self.auth(self.alice_token),
        )
        self.assertEqual(created.status_code, 201)
        url = created.json()["url_token"]
        file = self.make_file_push([("f.txt", b"x")])
        bobs = self.make_file_push([("g.txt", b"y")])
        FilePush.objects.filter(url_token=bobs).update(
            user=self.bob
        )  # never listed for alice

        def tokens(path: str) -> list[str]:
            response = self.client.get(path, **self.auth(self.alice_token))
            self.assertEqual(response.status_code, 200)
            return [item["url_token"] for item in response.json()]

        self.assertEqual(set(tokens("/p/active.json")), {text.url_token, url, file})
        self.assertEqual(len(tokens("/p/active.json")), 3)
        self.assertEqual(tokens("/f/active.json"), [file])
        self.assertEqual(tokens("/r/active.json"), [url])
        self.client.delete(f"/f/{file}.json", **self.auth(self.alice_token))
        self.assertEqual(tokens("/f/expired.json"), [file])
        self.assertEqual(tokens("/f/active.json"), [])


class RoundTripTestCase(FileTestCase):
    def test_it_returns_binary_files_byte_for_byte(self) -> None:
        samples = {
            "all-bytes.bin": bytes(range(256)) * 3,
            "empty.bin": b"",
            "one-chunk.bin": os.urandom(CHUNK_SIZE),
            "one-chunk-and-a-byte.bin": os.urandom(CHUNK_SIZE + 1),
            "three-chunks.bin": os.urandom(2 * CHUNK_SIZE + 123),
        }
        for name, data in samples.items():
            with self.subTest(name=name):
                token = self.make_file_push([(name, data, "application/octet-stream")])
                file = self.owner_view(token)["files"][0]
                response = self.download(file["url"])
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response["Content-Length"], str(len(data)))
                self.assertEqual(content_of(response), data)
                attachment = Attachment.objects.get(push__url_token=token)
                self.assertEqual(attachment.size, len(data))
                chunks = max(1, -(-len(data) // CHUNK_SIZE))
                stored = file_storage().open(attachment.storage_name).read()
                self.assertEqual(
                    len(stored), HEADER_BYTES + len(data) + chunks * TAG_BYTES
                )

    def test_it_returns_several_files_in_order(self) -> None:
        files = [(f"file-{i}.bin", os.urandom(1000 * i + 1)) for i in range(4)]
        token = self.make_file_push(files)
        listed = self.owner_view(token)["files"]
        self.assertEqual([f["filename"] for f in listed], [name for name, _ in files])
        self.assertEqual(
            [self.downloaded(f["url"]) for f in listed], [data for _, data in files]
        )


class EncryptionAtRestTestCase(FileTestCase):
    def test_it_stores_only_ciphertext_under_random_names(self) -> None:
        secret = b"TOP-SECRET-PLAINTEXT-" * 200
        token = self.make_file_push(
            [("launch-codes.txt", secret), ("second-secret.txt", bytes(range(256)) * 4)]
        )
        stored = self.stored_files()
        self.assertEqual(len(stored), 2)
        for path in stored:
            data = path.read_bytes()
            self.assertTrue(data.startswith(MAGIC))
            self.assertNotIn(b"TOP-SECRET", data)
            self.assertNotIn(bytes(range(256)), data)
            self.assertNotIn("launch", str(path))
            self.assertNotIn("second", str(path))
        keys = [attachment.key for attachment in Attachment.objects.all()]
        self.assertEqual(len(set(keys)), 2)  # one key per file
        for key in keys:
            self.assertEqual(len(key), 32)
            for path in stored:
                self.assertNotIn(key, path.read_bytes())
        self.assertEqual(
            self.downloaded(self.owner_view(token)["files"][0]["url"]), secret
        )

    def test_it_keeps_the_name_and_key_sealed_in_the_database(self) -> None:
        self.make_file_push([("launch-codes.txt", b"secret")])
        attachment = Attachment.objects.get()
        key_text = attachment.file_key
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {Attachment._meta.db_table}")
            row = cursor.fetchone()
            columns = [col[0] for col in cursor.description]
        raw = dict(zip(columns, row, strict=True))
        for column in ("filename", "file_key"):
            self.assertTrue(str(raw[column]).startswith("v1:"))
        dump = " ".join(str(value) for value in row)
        self.assertNotIn("launch", dump)
        self.assertNotIn(key_text, dump)
        sealed = base64.b64decode(str(raw["file_key"]).split(":", 2)[2])
        self.assertNotIn(attachment.key, sealed)


class StreamingTamperTestCase(SimpleTestCase):
    """The STREAM format refuses any change to the stored bytes (files/streaming.py)."""

    def setUp(self) -> None:
        self.key = new_file_key()
        self.plain = os.urandom(3 * CHUNK_SIZE + 500)
        self.sealed = encrypt_bytes(self.key, [self.plain[:1000], self.plain[1000:]])
        self.size = CHUNK_SIZE + TAG_BYTES  # one sealed full chunk

    def open(self, data: bytes, key: bytes | None = None) -> bytes:
        return b"".join(decrypt_stream(key or self.key, _Reader(data)))

    def chunk(self, index: int, data: bytes | None = None) -> bytes:
        data = self.sealed if data is None else data
        start = HEADER_BYTES + index * self.size
        return data[start : start + self.size]

    def splice(self, index: int, chunk: bytes) -> bytes:
        start = HEADER_BYTES + index * self.size
        return self.sealed[:start] + chunk + self.sealed[start + self.size :]

    def assertTampered(self, data: bytes, key: bytes | None = None) -> None:
        with self.assertRaises(TamperedFile):
            self.open(data, key)

    def test_it_round_trips_in_any_piece_sizes(self) -> None:
        self.assertEqual(self.open(self.sealed), self.plain)
        for size in (0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE):
            with self.subTest(size=size):
                data = os.urandom(size)
                pieces = [data[i : i + 777] for i in range(0, size, 777)]
                self.assertEqual(self.open(encrypt_bytes(self.key, pieces)), data)

    def test_it_encrypts_the_same_data_differently_each_time(self) -> None:
        self.assertNotEqual(
            encrypt_bytes(self.key, [b"same"]), encrypt_bytes(self.key, [b"same"])
        )

    def test_it_refuses_a_flipped_byte_anywhere(self) -> None:
        for offset in (
            0,
            len(MAGIC),
            HEADER_BYTES,
            HEADER_BYTES + self.size + 7,
            len(self.sealed) - 1,
        ):
            with self.subTest(offset=offset):
                data = bytearray(self.sealed)
                data[offset] ^= 0x01
                self.assertTampered(bytes(data))

    def test_it_refuses_a_truncated_chunk(self) -> None:
        for cut in (1, TAG_BYTES, 600):
            with self.subTest(cut=cut):
                self.assertTampered(self.sealed[:-cut])
        self.assertTampered(self.sealed[: HEADER_BYTES + self.size + 100])
        self.assertTampered(self.sealed[: HEADER_BYTES - 1])
        self.assertTampered(self.sealed[:HEADER_BYTES])

    def test_it_refuses_a_file_missing_its_last_chunk(self) -> None:
        self.assertTampered(self.sealed[: HEADER_BYTES + 3 * self.size])
        self.assertTampered(self.sealed[: HEADER_BYTES + self.size])

    def test_it_refuses_swapped_chunks(self) -> None:
        header = self.sealed[:HEADER_BYTES]
        rest = self.sealed[HEADER_BYTES + 3 * self.size :]
        swapped = header + self.chunk(1) + self.chunk(0) + self.chunk(2) + rest
        self.assertEqual(len(swapped), len(self.sealed))
        self.assertTampered(swapped)

    def test_it_refuses_appended_data(self) -> None:
        for extra in (
            b"\x00",
            os.urandom(TAG_BYTES),
            self.chunk(0),
            self.sealed[-516:],
        ):
            with self.subTest(extra=len(extra)):
                self.assertTampered(self.sealed + extra)

    def test_it_refuses_a_chunk_spliced_from_another_file(self) -> None:
        other_key = new_file_key()
        other = encrypt_bytes(other_key, [os.urandom(3 * CHUNK_SIZE + 500)])
        self.assertTampered(self.splice(1, self.chunk(1, other)))
        # same key, other header: the nonce prefix and the header bind each chunk to its file
        same_key = encrypt_bytes(self.key, [os.urandom(3 * CHUNK_SIZE + 500)])
        self.assertTampered(self.splice(1, self.chunk(1, same_key)))

    def test_it_refuses_the_wrong_key(self) -> None:
        self.assertTampered(self.sealed, new_file_key())

    def test_it_refuses_a_file_that_is_not_a_stream(self) -> None:
        self.assertTampered(b"")
        self.assertTampered(b"plain text that was never encrypted" * 10)


class _Reader:
    """A file-like that hands out at most 1000 bytes per read, like a network stream."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, size: int = -1) -> bytes:
        size = 1000 if size < 0 else min(size, 1000)
        piece = self.data[self.pos : self.pos + size]
        self.pos += len(piece)
        return piece


class DownloadTestCase(FileTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.plain = b"download me " * 100
        self.token = self.make_file_push(
            [("doc.txt", self.plain)], expire_after_views=1
        )
        self.url = self.owner_view(self.token)["files"][0]["url"]
        self.push = FilePush.objects.get(url_token=self.token)

    def assertNotFound(self, response) -> None:
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json(), NOT_FOUND)
        self.assertNotIn(b"download me", response.content)

    def test_it_sends_safe_headers(self) -> None:
        response = self.download(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertIn("no-store", response["Cache-Control"])
        self.assertEqual(
            response["Content-Disposition"], 'attachment; filename="doc.txt"'
        )
        self.assertEqual(response["Content-Type"], "text/plain")
        self.assertEqual(content_of(response), self.plain)

    def test_it_neither_counts_a_view_nor_audits(self) -> None:
        entries = AuditLog.objects.for_push(self.push).count()
        for _ in range(3):
            self.assertEqual(self.downloaded(self.url), self.plain)
        self.push.refresh_from_db()
        self.assertEqual((self.push.view_count, self.push.views_remaining), (0, 1))
        self.assertIs(self.push.expired, False)
        self.assertIsNone(self.push.download_window_closes_at)
        self.assertEqual(AuditLog.objects.for_push(self.push).count(), entries)

    def test_it_keeps_downloads_open_in_the_window_after_the_last_view(self) -> None:
        before = timezone.now()
        body = self.anonymous_view(self.token)
        self.assertEqual((body["views_remaining"], body["expired"]), (0, False))
        self.push.refresh_from_db()
        self.assertIs(self.push.expired, False)
        window = timedelta(seconds=settings.FILE_DOWNLOAD_WINDOW)
        self.assertTrue(
            before + window
            <= self.push.download_window_closes_at
            <= timezone.now() + window
        )
        self.assertEqual(self.downloaded(body["files"][0]["url"]), self.plain)
        self.assertEqual(self.downloaded(self.url), self.plain)
        self.push.refresh_from_db()
        self.assertIs(self.push.expired, False)
        self.assertEqual(self.push.view_count, 1)

    @override_settings(FILE_DOWNLOAD_WINDOW=60)
    def test_it_takes_the_window_from_settings(self) -> None:
        before = timezone.now()
        self.anonymous_view(self.token)
        self.push.refresh_from_db()
        closes = self.push.download_window_closes_at
        self.assertTrue(
            before + timedelta(seconds=60)
            <= closes
            <= timezone.now() + timedelta(seconds=60)
        )

    def test_it_closes_downloads_when_the_window_has_passed(self) -> None:
        url = self.anonymous_view(self.token)["files"][0]["url"]
        FilePush.objects.filter(pk=self.push.pk).update(
            download_window_closes_at=timezone.now() - timedelta(seconds=1)
        )
        self.assertNotFound(self.download(url))
        self.assertNotFound(self.download(self.url))
        self.push.refresh_from_db()
        self.assertIs(
            self.push.expired, False
        )  # only a retrieve or the sweep expires it
        self.assertEqual(len(self.stored_files()), 1)

    def test_it_closes_downloads_after_expiry(self) -> None:
        self.anonymous_view(self.token)
        with self.captureOnCommitCallbacks(execute=True):
            self.assertIs(self.anonymous_view(self.token)["expired"], True)
        self.assertNotFound(self.download(self.url))
        self.assertEqual(self.stored_files(), [])

    def test_it_closes_downloads_when_the_days_have_run_out(self) -> None:
        FilePush.objects.filter(pk=self.push.pk).update(
            created_at=timezone.now() - timedelta(days=8)
        )
        self.assertNotFound(self.download(self.url))

    def test_it_refuses_a_forged_link(self) -> None:
        signed, filename = self.url.split("/pfb/")[1].split("/")
        flipped = signed[:-1] + ("A" if signed[-1] != "A" else "B")
        for forged in (
            flipped,
            signing.dumps(
                self.push.attachments.get().pk
            ),  # no salt: signed for another purpose
            signing.dumps(
                self.push.attachments.get().pk,
                salt=DOWNLOAD_SALT,
                key="not-the-secret-key",
            ),
            "garbage",
        ):
            with self.subTest(forged=forged):
                self.assertNotFound(self.download(f"/pfb/{forged}/{filename}"))

    def test_it_refuses_a_link_older_than_the_window(self) -> None:
        later = time.time() + settings.FILE_DOWNLOAD_WINDOW + 5
        with mock.patch("django.core.signing.time.time", return_value=later):
            self.assertNotFound(self.download(self.url))

    def test_it_answers_500_for_an_altered_file_without_plaintext(self) -> None:
        (path,) = self.stored_files()
        data = bytearray(path.read_bytes())
        data[HEADER_BYTES + 5] ^= 0x80
        path.write_bytes(bytes(data))
        response = self.download(self.url)
        self.assertEqual(response.status_code, 500)
        self.assertEqual(response.json(), DAMAGED)
        self.assertIn("no-store", response["Cache-Control"])

    def test_it_answers_500_for_a_file_swapped_with_another(self) -> None:
        other = self.make_file_push([("other.txt", b"other file")])
        other_name = Attachment.objects.get(push__url_token=other).storage_name
        mine = self.push.attachments.get().storage_name
        shutil.copyfile(self.storage_dir / other_name, self.storage_dir / mine)
        response = self.download(self.url)
        self.assertEqual(response.status_code, 500)
        self.assertEqual(response.json(), DAMAGED)

    def test_it_never_sends_the_altered_chunk_of_a_long_file(self) -> None:
        plain = os.urandom(2 * CHUNK_SIZE + 10)
        token = self.make_file_push([("long.bin", plain)])
        url = self.owner_view(token)["files"][0]["url"]
        path = (
            self.storage_dir
            / Attachment.objects.get(push__url_token=token).storage_name
        )
        data = bytearray(path.read_bytes())
        data[-3] ^= 0x01  # in the last chunk
        path.write_bytes(bytes(data))
        response = self.download(url)
        received = b""
        with self.assertRaises(TamperedFile):
            for piece in response.streaming_content:
                received += piece
        # what was sent before the fault is authentic and short of Content-Length
        self.assertTrue(plain.startswith(received))
        self.assertLess(len(received), int(response["Content-Length"]))

    def test_it_answers_503_when_storage_cannot_open_the_file(self) -> None:
        with mock.patch.object(
            file_storage(), "open", side_effect=OSError("storage is down")
        ):
            response = self.download(self.url)
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json(), STORAGE_DOWN)


class PurgeTestCase(FileTestCase):
    def test_it_purges_stored_objects_on_delete(self) -> None:
        token = self.make_file_push([("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"")])
        self.assertEqual(len(self.stored_files()), 3)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.delete(
                f"/f/{token}.json", **self.auth(self.alice_token)
            )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.stored_files(), [])
        self.assertEqual(PendingDeletion.objects.count(), 0)
        push = FilePush.objects.get(url_token=token)
        self.assertIs(push.expired, True)
        self.assertIsNone(push.payload)

    def test_it_queues_a_failed_delete_for_a_later_purge(self) -> None:
        token = self.make_file_push([("a.txt", b"alpha")])
        url = self.owner_view(token)["files"][0]["url"]
        storage_name = Attachment.objects.get().storage_name
        with mock.patch.object(
            file_storage(), "delete", side_effect=OSError("storage is down")
        ):
            with self.captureOnCommitCallbacks(execute=True):
                response = self.client.delete(
                    f"/f/{token}.json", **self.auth(self.alice_token)
                )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            (response.json()["expired"], response.json()["deleted"]), (True, True)
        )
        push = FilePush.objects.get(url_token=token)
        self.assertIs(push.expired, True)
        self.assertEqual((push.payload, push.passphrase), (None, None))
        self.assertEqual(push.attachments.count(), 0)
        pending = PendingDeletion.objects.get()
        self.assertEqual(
            (pending.storage_name, pending.attempts, pending.last_error),
            (storage_name, 1, "OSError"),
        )
        self.assertGreater(
            pending.purge_after, timezone.now()
        )  # retried by the sweep after a back-off
        self.assertEqual(len(self.stored_files()), 1)  # still there until the retry
        self.assertEqual(self.download(url).status_code, 404)
        self.assertEqual(self.client.get(f"/f/{token}.json").json()["files"], [])
        self.assertEqual(PendingDeletion.objects.purge([storage_name]), 1)
        self.assertEqual(PendingDeletion.objects.count(), 0)
        self.assertEqual(self.stored_files(), [])

    def test_it_counts_each_failed_attempt(self) -> None:
        self.make_file_push([("a.txt", b"alpha")])
        name = Attachment.objects.get().storage_name
        PendingDeletion.objects.create(storage_name=name)
        with mock.patch.object(
            file_storage(), "delete", side_effect=OSError("storage is down")
        ):
            self.assertEqual(PendingDeletion.objects.purge([name]), 0)
            self.assertEqual(PendingDeletion.objects.purge([name]), 0)
        self.assertEqual(PendingDeletion.objects.get().attempts, 2)
        self.assertEqual(PendingDeletion.objects.purge([name]), 1)
        self.assertEqual(self.stored_files(), [])


class SweepTestCase(FileTestCase):
    """The periodic jobs: expire_due_pushes (spec §12) and purge_files (the PendingDeletion queue)."""

    def test_it_leaves_a_push_in_its_download_window_then_expires_and_purges_it(
        self,
    ) -> None:
        token = self.make_file_push([("a.txt", b"alpha")], expire_after_views=1)
        url = self.anonymous_view(token)["files"][0]["url"]
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(expire_due_pushes(), 0)
        self.assertEqual(self.downloaded(url), b"alpha")
        FilePush.objects.filter(url_token=token).update(
            download_window_closes_at=timezone.now() - timedelta(seconds=1)
        )
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(expire_due_pushes(), 1)
        push = FilePush.objects.get(url_token=token)
        self.assertIs(push.expired, True)
        self.assertIsNone(push.payload)
        self.assertEqual(push.attachments.count(), 0)
        self.assertEqual(self.stored_files(), [])
        self.assertEqual(PendingDeletion.objects.count(), 0)

    def test_it_expires_and_purges_a_push_whose_days_ran_out(self) -> None:
        token = self.make_file_push([("a.txt", b"alpha")], expire_after_days=1)
        live = self.make_file_push([("b.txt", b"beta")])
        FilePush.objects.filter(url_token=token).update(
            created_at=timezone.now() - timedelta(days=2)
        )
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(expire_due_pushes(), 1)
        self.assertIs(FilePush.objects.get(url_token=token).expired, True)
        self.assertIs(FilePush.objects.get(url_token=live).expired, False)
        (left,) = self.stored_files()
        self.assertEqual(
            left.name,
            Attachment.objects.get(push__url_token=live).storage_name.split("/")[-1],
        )

    def test_it_retries_a_failed_delete_after_its_back_off(self) -> None:
        token = self.make_file_push([("a.txt", b"alpha")])
        with mock.patch.object(
            file_storage(), "delete", side_effect=OSError("storage is down")
        ):
            with self.captureOnCommitCallbacks(execute=True):
                self.client.delete(f"/f/{token}.json", **self.auth(self.alice_token))
        pending = PendingDeletion.objects.get()
        self.assertGreater(pending.purge_after, timezone.now())
        self.assertEqual(purge_files(), 0)  # not due yet
        self.assertEqual(len(self.stored_files()), 1)
        PendingDeletion.objects.update(
            purge_after=timezone.now() - timedelta(seconds=1)
        )
        self.assertEqual(purge_files(), 1)
        self.assertEqual(PendingDeletion.objects.count(), 0)
        self.assertEqual(self.stored_files(), [])

    def test_it_sweeps_an_unclaimed_upload_only_after_the_grace_period(self) -> None:
        name = file_storage().save(
            "files/orphan-upload", ContentFile(encrypt_bytes(new_file_key(), [b"x"]))
        )
        PendingDeletion.objects.before_upload(
            name
        )  # as an upload still in progress would leave it
        self.assertEqual(purge_files(), 0)
        self.assertEqual(len(self.stored_files()), 1)
        PendingDeletion.objects.update(
            purge_after=timezone.now() - timedelta(seconds=1)
        )
        self.assertEqual(purge_files(), 1)
        self.assertEqual(self.stored_files(), [])
        self.assertEqual(PendingDeletion.objects.count(), 0)


class ReviewFindingsTestCase(FileTestCase):
    """Regressions from the second adversarial review."""

    def test_it_refuses_a_body_cut_off_inside_a_file(self) -> None:
        body = raw_multipart(
            {"file_push[payload]": "m"},
            [
                (
                    "file_push[files][]",
                    "a.bin",
                    b"a" * 100_000,
                    "application/octet-stream",
                )
            ],
        )
        cut = body[: len(body) - 60_000]  # no closing boundary, the file half there
        response = self.client.generic(
            "POST",
            "/f.json",
            cut,
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
            **self.auth(self.alice_token),
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json(), {"error": "The request body could not be read completely."}
        )
        self.assertNothingStored()

    def test_it_caps_file_parts_even_when_empty(self) -> None:
        limit = settings.PUSH_SETTINGS["files"]["max_file_uploads"]
        response = self.upload([(f"e{i}.txt", b"") for i in range(2 * limit + 1)])
        self.assertEqual(response.status_code, 400)
        self.assertNothingStored()
        response = self.upload([(f"e{i}.txt", b"") for i in range(limit + 2)])
        self.assertEqual(
            response.status_code, 201
        )  # empty files do not count (spec §8.1)

    def test_it_sandboxes_downloads(self) -> None:
        token = self.make_file_push(
            [("x.html", b"<script>alert(1)</script>", "text/html")]
        )
        url = self.owner_view(token)["files"][0]["url"]
        response = self.download(url)
        self.assertEqual(
            response["Content-Security-Policy"], "sandbox; default-src 'none'"
        )
        self.assertTrue(response["Content-Disposition"].startswith("attachment"))

    def test_it_requeues_an_upload_the_sweep_gave_up_on(self) -> None:
        from files.uploads import EncryptingUploadHandler

        handler = EncryptingUploadHandler(request=mock.Mock(user=self.alice))
        handler.new_file(
            "file_push[files][]", "slow.bin", "application/octet-stream", None
        )
        handler.receive_data_chunk(b"x" * 1000, 0)
        PendingDeletion.objects.all().delete()  # a sweep ran while the upload was slow
        upload = handler.file_complete(1000)
        self.assertTrue(
            PendingDeletion.objects.filter(storage_name=upload.storage_name).exists()
        )

    def test_it_sweeps_temp_files_of_uploads_whose_worker_died(self) -> None:
        tmp = self.data_dir / "tmp"
        tmp.mkdir(parents=True)
        old, fresh = tmp / "pwpush-upload-old", tmp / "pwpush-upload-fresh"
        old.write_bytes(b"sealed")
        fresh.write_bytes(b"sealed")
        past = time.time() - settings.UPLOAD_GRACE_PERIOD - 10
        os.utime(old, (past, past))
        purge_files()
        self.assertFalse(old.exists())
        self.assertTrue(fresh.exists())

    def test_it_cannot_be_enumerated_with_the_signing_key_alone(self) -> None:
        token = self.make_file_push([("a.txt", b"secret file")])
        attachment = Attachment.objects.get()
        forged = signing.dumps(attachment.pk, salt="pwpush.files.download")
        self.assertEqual(self.client.get(f"/pfb/{forged}/a.txt").status_code, 404)
        self.assertGreaterEqual(len(attachment.download_id), 22)  # 128 random bits
        url = self.owner_view(token)["files"][0]["url"]
        self.assertNotIn(f"/pfb/{forged}", url)
        self.assertEqual(self.downloaded(url), b"secret file")
