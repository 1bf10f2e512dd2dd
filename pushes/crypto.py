"""Master keys and AES-256-GCM sealing. The first configured key seals, every key opens."""

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12


class DecryptionError(Exception):
    """A value could not be opened: unknown key id, or tampered ciphertext."""


def decode_key(text: str) -> bytes:
    """Accepts a 32-byte key as 64 hex digits or (urlsafe) base64."""
    text = text.strip()
    try:
        key = (
            bytes.fromhex(text)
            if len(text) == 64
            else base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        )
    except (ValueError, binascii.Error):
        raise ImproperlyConfigured(
            "PWPUSH_ENCRYPTION_KEYS holds a key that is not hex or base64."
        ) from None
    if len(key) != 32:
        raise ImproperlyConfigured(
            "Each key in PWPUSH_ENCRYPTION_KEYS must be 32 bytes (AES-256)."
        )
    return key


def key_id(key: bytes) -> str:
    """A short public name for a key, stored beside each value it sealed."""
    return hashlib.sha256(b"pwpush key id:" + key).hexdigest()[:8]


@dataclass(frozen=True)
class KeyRing:
    sealing_id: str
    keys: dict[str, AESGCM]

    def seal(self, plaintext: bytes, aad: bytes) -> tuple[str, bytes]:
        """Encrypts with the sealing key; returns (key id, nonce + ciphertext)."""
        nonce = os.urandom(NONCE_BYTES)
        return self.sealing_id, nonce + self.keys[self.sealing_id].encrypt(
            nonce, plaintext, aad
        )

    def open(self, kid: str, blob: bytes, aad: bytes) -> bytes:
        cipher = self.keys.get(kid)
        if cipher is None:
            raise DecryptionError(f"no configured key has id {kid}")
        try:
            return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DecryptionError(
                f"value sealed with key {kid} failed authentication"
            ) from None


@lru_cache(maxsize=4)
def _keyring(configured: tuple[str, ...], key_file: str) -> KeyRing:
    if not configured:
        # Embedded default: one key, created once, readable by this user only.
        from pwpush.settings import secret_from_file

        configured = (secret_from_file(Path(key_file)),)
    keys = [decode_key(text) for text in configured]
    return KeyRing(
        sealing_id=key_id(keys[0]), keys={key_id(k): AESGCM(k) for k in keys}
    )


def keyring() -> KeyRing:
    return _keyring(
        tuple(settings.PWPUSH_ENCRYPTION_KEYS), str(settings.ENCRYPTION_KEY_FILE)
    )
