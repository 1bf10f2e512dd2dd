"""File pushes on S3: django-storages' S3Storage against a real S3-compatible server (moto, over HTTP)."""

import os
import shutil
import tempfile
from pathlib import Path

import boto3
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from moto.server import ThreadedMotoServer

from files.models import Attachment, FilePush, PendingDeletion
from files.streaming import MAGIC
from files.tasks import purge_files

from .base import BaseTestCase

BUCKET = "pwpush-test-files"
REGION = "us-east-1"
ACCESS_KEY, SECRET_KEY = "testing-access-key", "testing-secret-key"


def content_of(response) -> bytes:
    return (
        b"".join(response.streaming_content) if response.streaming else response.content
    )


class S3FileTestCase(BaseTestCase):
    """One moto server for the class; each test starts with an empty bucket."""

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        cls.server.start()
        host, port = cls.server.get_host_and_port()
        cls.endpoint = f"http://{host}:{port}"
        cls.s3 = boto3.client(
            "s3",
            endpoint_url=cls.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )
        cls.s3.create_bucket(Bucket=BUCKET)

    @classmethod
    def tearDownClass(cls) -> None:
        try:
            cls.s3.delete_bucket(Bucket=BUCKET)
        finally:
            cls.server.stop()
            super().tearDownClass()

    def setUp(self) -> None:
        super().setUp()
        options = {
            "bucket_name": BUCKET,
            "endpoint_url": self.endpoint,
            "region_name": REGION,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "file_overwrite": True,
            "default_acl": None,
        }
        default = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
        self.data_dir = Path(
            tempfile.mkdtemp(prefix="pwpush-s3-tests-")
        )  # upload temp files go here
        self.addCleanup(shutil.rmtree, self.data_dir, True)
        overrides = override_settings(
            STORAGES={**settings.STORAGES, "default": default}, DATA_DIR=self.data_dir
        )
        overrides.enable()
        self.addCleanup(overrides.disable)
        self.addCleanup(self.empty_bucket)
        self.assertEqual(self.keys(), [])

    # --- helpers ---

    def keys(self) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=BUCKET)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def object_bytes(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def empty_bucket(self) -> None:
        for key in self.keys():
            self.s3.delete_object(Bucket=BUCKET, Key=key)

    def upload(self, files: dict[str, bytes], **fields):
        data = {f"file_push[{name}]": value for name, value in fields.items()}
        data["file_push[files][]"] = [
            SimpleUploadedFile(name, content) for name, content in files.items()
        ]
        return self.client.post(
            "/f.json", data, format="multipart", **self.auth(self.alice_token)
        )

    def make_file_push(self, files: dict[str, bytes], **fields) -> str:
        response = self.upload(files, payload="Message", **fields)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(
            os.listdir(self.data_dir / "tmp"), []
        )  # sealed temp files are gone once uploaded
        return response.json()["url_token"]

    def file_urls(self, url_token: str, **headers) -> list[str]:
        response = self.client.get(f"/f/{url_token}.json", **headers)
        self.assertEqual(response.status_code, 200)
        return [file["url"] for file in response.json()["files"]]

    def downloaded(self, url: str) -> bytes:
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return content_of(response)


class S3UploadTestCase(S3FileTestCase):
    def test_it_stores_only_ciphertext_in_the_bucket(self) -> None:
        plain = {
            "secret.txt": b"TOP-SECRET-PLAINTEXT-" * 500,
            "all-bytes.bin": bytes(range(256)) * 300,
        }
        token = self.make_file_push(plain)
        names = sorted(
            Attachment.objects.filter(push__url_token=token).values_list(
                "storage_name", flat=True
            )
        )
        self.assertEqual(self.keys(), names)
        self.assertEqual(len(names), 2)
        for key in names:
            self.assertRegex(key, r"^files/[A-Za-z0-9_-]{32}$")
            stored = self.object_bytes(key)
            self.assertTrue(stored.startswith(MAGIC))
            self.assertNotIn(b"TOP-SECRET", stored)
            self.assertNotIn(bytes(range(256)), stored)
        self.assertEqual(PendingDeletion.objects.count(), 0)

    def test_it_downloads_the_exact_plaintext(self) -> None:
        plain = {
            "big.bin": os.urandom(3 * 64 * 1024 + 17),
            "empty.bin": b"",
            "small.txt": b"hello",
        }
        token = self.make_file_push(plain)
        urls = self.file_urls(token, **self.auth(self.alice_token))
        self.assertEqual([self.downloaded(url) for url in urls], list(plain.values()))

    def test_it_removes_stored_objects_of_a_refused_upload(self) -> None:
        response = self.upload({f"f{i}.txt": f"file {i}".encode() for i in range(11)})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(
            response.json(), {"files": ["You can only attach up to 10 files per push."]}
        )
        self.assertEqual(self.keys(), [])
        self.assertEqual(PendingDeletion.objects.count(), 0)
        self.assertEqual(FilePush.objects.count(), 0)


class S3PurgeTestCase(S3FileTestCase):
    def test_it_deletes_objects_when_views_run_out(self) -> None:
        token = self.make_file_push(
            {"a.txt": b"alpha", "b.txt": b"beta"}, expire_after_views=2
        )
        self.assertEqual(len(self.keys()), 2)
        self.file_urls(token)
        urls = self.file_urls(
            token
        )  # the last allowed view: files stay for the download window
        self.assertEqual(len(self.keys()), 2)
        self.assertEqual(self.downloaded(urls[0]), b"alpha")
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(
                self.file_urls(token), []
            )  # the third GET expires the push
        self.assertIs(FilePush.objects.get(url_token=token).expired, True)
        self.assertEqual(self.keys(), [])
        self.assertEqual(PendingDeletion.objects.count(), 0)
        self.assertEqual(self.client.get(urls[1]).status_code, 404)

    def test_it_deletes_objects_on_delete(self) -> None:
        token = self.make_file_push({"a.txt": b"alpha"})
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.delete(
                f"/f/{token}.json", **self.auth(self.alice_token)
            )
        self.assertEqual(response.status_code, 200)
        self.assertIs(response.json()["deleted"], True)
        self.assertEqual(self.keys(), [])
        self.assertEqual(PendingDeletion.objects.count(), 0)

    def test_it_sweeps_leftover_objects(self) -> None:
        self.s3.put_object(
            Bucket=BUCKET, Key="files/orphan", Body=MAGIC + b"left behind by a crash"
        )
        keep = self.make_file_push({"keep.txt": b"keep"})
        PendingDeletion.objects.create(storage_name="files/orphan")
        self.assertEqual(PendingDeletion.objects.purge(["files/orphan"]), 1)
        self.assertEqual(PendingDeletion.objects.count(), 0)
        self.assertEqual(
            self.keys(), [Attachment.objects.get(push__url_token=keep).storage_name]
        )
        self.assertEqual(
            self.downloaded(self.file_urls(keep, **self.auth(self.alice_token))[0]),
            b"keep",
        )

    def test_it_sweeps_due_objects_with_the_periodic_task(self) -> None:
        self.s3.put_object(Bucket=BUCKET, Key="files/orphan-a", Body=MAGIC + b"a")
        self.s3.put_object(Bucket=BUCKET, Key="files/orphan-b", Body=MAGIC + b"b")
        PendingDeletion.objects.create(
            storage_name="files/orphan-a", purge_after=timezone.now()
        )
        PendingDeletion.objects.before_upload(
            "files/orphan-b"
        )  # an upload that may still be running
        self.assertEqual(purge_files(), 1)
        self.assertEqual(self.keys(), ["files/orphan-b"])
        self.assertEqual(
            list(PendingDeletion.objects.values_list("storage_name", flat=True)),
            ["files/orphan-b"],
        )
