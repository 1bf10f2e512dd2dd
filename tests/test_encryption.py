"""Secrets are AES-256-GCM ciphertext at rest, carry their key id, and survive key rotation."""

import base64
import os
import stat
import tempfile
from pathlib import Path

from django.db import connection
from django.test import TestCase, override_settings

from pushes import crypto
from pushes.crypto import DecryptionError, decode_key, key_id
from pushes.models import PasswordPush

from .base import TEST_KEY, BaseTestCase, make_password_push

KEY_A = TEST_KEY
KEY_B = "Zm9yLXRlc3RzLW9ubHktYS1zZWNvbmQta2V5LWJiYmI"  # 32 bytes, urlsafe base64
TABLE = PasswordPush._meta.db_table


def raw_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(TABLE)}")
        return cursor.fetchall()


def raw_value(pk: int, column: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {connection.ops.quote_name(TABLE)} WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()[0]


def set_raw_value(pk: int, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {connection.ops.quote_name(TABLE)} SET {connection.ops.quote_name(column)} = %s WHERE id = %s",
            [value, pk],
        )


def sealing_id(key: str) -> str:
    return key_id(decode_key(key))


class NoPlaintextTestCase(BaseTestCase):
    SECRETS = {
        "payload": "payload-Xq7Zr2-unmistakable",
        "passphrase": "passphrase-Kd93Lw-unmistakable",
        "note": "note-Pv61Nc-unmistakable",
        "name": "name-Hy48Tb-unmistakable",
    }

    def assert_no_plaintext(self) -> None:
        rows = raw_rows()
        self.assertTrue(rows)
        for row in rows:
            for column in row:
                text = (
                    column.decode("latin-1")
                    if isinstance(column, bytes)
                    else str(column)
                )
                for secret in self.SECRETS.values():
                    self.assertNotIn(secret, text)
                    self.assertNotIn(secret.split("-")[1], text)

    def test_it_stores_no_plaintext(self) -> None:
        self.assertEqual(
            self.create(self.SECRETS, token=self.alice_token).status_code, 201
        )
        self.assertEqual(self.create(self.SECRETS).status_code, 201)
        self.assert_no_plaintext()

    def test_it_stores_no_plaintext_after_views_and_expiry(self) -> None:
        t = self.create(self.SECRETS, token=self.alice_token).json()["url_token"]
        self.client.get(f"/p/{t}.json", {"passphrase": self.SECRETS["passphrase"]})
        self.client.delete(f"/p/{t}.json", **self.auth(self.alice_token))
        self.assert_no_plaintext()
        push = PasswordPush.objects.get(url_token=t)
        self.assertEqual(
            push.note, self.SECRETS["note"]
        )  # the owner's label survives, still sealed
        self.assertIsNone(push.payload)

    def test_it_still_opens_what_it_stored(self) -> None:
        t = self.create(self.SECRETS).json()["url_token"]
        push = PasswordPush.objects.get(url_token=t)
        for field, value in self.SECRETS.items():
            self.assertEqual(getattr(push, field), value)

    def test_it_tags_ciphertext_with_the_key_id(self) -> None:
        push = make_password_push(payload="tagged")
        for column in ("payload", "passphrase", "note", "name"):
            value = raw_value(push.pk, column)
            self.assertTrue(value.startswith(f"v1:{sealing_id(KEY_A)}:"), column)

    def test_it_seals_the_same_value_differently_each_time(self) -> None:
        first = make_password_push(payload="same")
        second = make_password_push(payload="same")
        self.assertNotEqual(
            raw_value(first.pk, "payload"), raw_value(second.pk, "payload")
        )

    def test_it_keeps_null_as_null(self) -> None:
        push = make_password_push()
        push.expire()
        self.assertIsNone(raw_value(push.pk, "payload"))
        self.assertIsNone(raw_value(push.pk, "passphrase"))


class KeyRotationTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        with override_settings(PWPUSH_ENCRYPTION_KEYS=[KEY_A]):
            self.old = make_password_push(payload="sealed-under-a")

    def test_it_opens_old_values_with_a_rotated_keyring(self) -> None:
        self.assertNotEqual(sealing_id(KEY_A), sealing_id(KEY_B))
        with override_settings(PWPUSH_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
            self.assertEqual(
                PasswordPush.objects.get(pk=self.old.pk).payload, "sealed-under-a"
            )

    def test_it_seals_new_values_with_the_first_key(self) -> None:
        with override_settings(PWPUSH_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
            new = make_password_push(payload="sealed-under-b")
            self.assertTrue(
                raw_value(new.pk, "payload").startswith(f"v1:{sealing_id(KEY_B)}:")
            )
            self.assertEqual(
                PasswordPush.objects.get(pk=new.pk).payload, "sealed-under-b"
            )
        self.assertTrue(
            raw_value(self.old.pk, "payload").startswith(f"v1:{sealing_id(KEY_A)}:")
        )

    def test_it_reseals_an_old_value_when_saved(self) -> None:
        with override_settings(PWPUSH_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
            PasswordPush.objects.get(pk=self.old.pk).save()
        self.assertTrue(
            raw_value(self.old.pk, "payload").startswith(f"v1:{sealing_id(KEY_B)}:")
        )
        with override_settings(PWPUSH_ENCRYPTION_KEYS=[KEY_B]):
            self.assertEqual(
                PasswordPush.objects.get(pk=self.old.pk).payload, "sealed-under-a"
            )

    def test_it_refuses_a_value_whose_key_was_removed(self) -> None:
        with override_settings(PWPUSH_ENCRYPTION_KEYS=[KEY_B]):
            with self.assertRaises(DecryptionError):
                PasswordPush.objects.get(pk=self.old.pk)


class TamperingTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.push = make_password_push(payload="do-not-touch", note="a note")

    def test_it_refuses_a_flipped_ciphertext_byte(self) -> None:
        prefix, kid, blob = raw_value(self.push.pk, "payload").split(":", 2)
        data = bytearray(base64.b64decode(blob))
        data[-1] ^= 0x01
        set_raw_value(
            self.push.pk,
            "payload",
            f"{prefix}:{kid}:{base64.b64encode(bytes(data)).decode()}",
        )
        with self.assertRaises(DecryptionError):
            PasswordPush.objects.get(pk=self.push.pk)

    def test_it_refuses_a_flipped_nonce_byte(self) -> None:
        prefix, kid, blob = raw_value(self.push.pk, "payload").split(":", 2)
        data = bytearray(base64.b64decode(blob))
        data[0] ^= 0x80
        set_raw_value(
            self.push.pk,
            "payload",
            f"{prefix}:{kid}:{base64.b64encode(bytes(data)).decode()}",
        )
        with self.assertRaises(DecryptionError):
            PasswordPush.objects.get(pk=self.push.pk)

    def test_it_refuses_a_ciphertext_moved_to_another_column(self) -> None:
        set_raw_value(self.push.pk, "note", raw_value(self.push.pk, "payload"))
        with self.assertRaises(DecryptionError):
            PasswordPush.objects.get(pk=self.push.pk)


class KeyFileTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.addCleanup(crypto._keyring.cache_clear)
        self.data_dir = Path(self.tmp.name) / "data"
        self.key_file = self.data_dir / "encryption.key"

    def embedded(self):
        return override_settings(
            PWPUSH_ENCRYPTION_KEYS=[],
            DATA_DIR=self.data_dir,
            ENCRYPTION_KEY_FILE=self.key_file,
        )

    def test_it_creates_the_key_file_once_with_mode_600(self) -> None:
        self.assertFalse(self.key_file.exists())
        with self.embedded():
            ring = crypto.keyring()
            self.assertTrue(self.key_file.exists())
            self.assertEqual(stat.S_IMODE(os.stat(self.key_file).st_mode), 0o600)
            content = self.key_file.read_bytes()
            modified = os.stat(self.key_file).st_mtime_ns
            crypto._keyring.cache_clear()
            again = crypto.keyring()
        self.assertEqual(self.key_file.read_bytes(), content)
        self.assertEqual(os.stat(self.key_file).st_mtime_ns, modified)
        self.assertEqual(again.sealing_id, ring.sealing_id)
        self.assertEqual(ring.sealing_id, key_id(decode_key(content.decode())))

    def test_it_seals_with_the_key_file(self) -> None:
        with self.embedded():
            push = make_password_push(payload="sealed-by-file")
            file_id = key_id(decode_key(self.key_file.read_text()))
            self.assertTrue(raw_value(push.pk, "payload").startswith(f"v1:{file_id}:"))
            crypto._keyring.cache_clear()
            self.assertEqual(
                PasswordPush.objects.get(pk=push.pk).payload, "sealed-by-file"
            )

    def test_it_creates_no_key_file_when_keys_are_configured(self) -> None:
        with override_settings(
            PWPUSH_ENCRYPTION_KEYS=[KEY_A],
            DATA_DIR=self.data_dir,
            ENCRYPTION_KEY_FILE=self.key_file,
        ):
            crypto.keyring()
        self.assertFalse(self.key_file.exists())


class SecretFileRaceTestCase(TestCase):
    def test_it_never_hands_out_a_half_written_secret(self) -> None:
        import tempfile
        from concurrent.futures import ThreadPoolExecutor
        from pathlib import Path

        from pwpush.settings import secret_from_file

        for _ in range(20):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "data" / "encryption.key"
                with ThreadPoolExecutor(max_workers=8) as pool:
                    secrets_seen = set(pool.map(secret_from_file, [path] * 8))
                self.assertEqual(len(secrets_seen), 1)
                self.assertGreaterEqual(len(secrets_seen.pop()), 40)
                self.assertEqual(path.stat().st_mode & 0o777, 0o600)
                self.assertEqual(path.parent.stat().st_mode & 0o777, 0o700)
                self.assertEqual(
                    sorted(p.name for p in path.parent.iterdir()), ["encryption.key"]
                )
