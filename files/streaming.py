"""Chunked AES-256-GCM for file contents, in the STREAM construction.

Layout: MAGIC (8 bytes) + nonce prefix (7 bytes), then chunks of up to CHUNK_SIZE plaintext
bytes, each sealed with its own 16-byte tag. A chunk's nonce is the prefix, its 4-byte index
and a 1-byte flag set only on the last chunk, and the header is bound in as associated data:
a reordered, truncated, extended or spliced file fails to open. Every file has its own key.
"""

import os
import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"PWPUSHF1"
PREFIX_BYTES = 7
HEADER_BYTES = len(MAGIC) + PREFIX_BYTES
CHUNK_SIZE = 64 * 1024
TAG_BYTES = 16
MAX_CHUNKS = 2**32


class TamperedFile(Exception):
    """The stored ciphertext does not open: truncated, reordered, altered or the wrong key."""


def new_file_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index >= MAX_CHUNKS:
        raise ValueError("file too large for one stream")
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


class Encryptor:
    """Seals a stream fed in pieces of any size; write() and finish() return ciphertext bytes."""

    def __init__(self, key: bytes) -> None:
        self.cipher = AESGCM(key)
        self.header = MAGIC + os.urandom(PREFIX_BYTES)
        self.buffer = bytearray()
        self.index = 0
        self.started = False

    def _start(self) -> bytes:
        if self.started:
            return b""
        self.started = True
        return self.header

    def _seal(self, chunk: bytes, last: bool) -> bytes:
        sealed = self.cipher.encrypt(
            _nonce(self.header[len(MAGIC) :], self.index, last), chunk, self.header
        )
        self.index += 1
        return sealed

    def write(self, data: bytes) -> bytes:
        out = [self._start()]
        self.buffer += data
        # Keep at least one byte back: the last chunk must be sealed as the last one.
        while len(self.buffer) > CHUNK_SIZE:
            out.append(self._seal(bytes(self.buffer[:CHUNK_SIZE]), last=False))
            del self.buffer[:CHUNK_SIZE]
        return b"".join(out)

    def finish(self) -> bytes:
        out = self._start() + self._seal(bytes(self.buffer), last=True)
        self.buffer.clear()
        return out


def decrypt_stream(key: bytes, source: BinaryIO) -> Iterator[bytes]:
    """Yields the plaintext of a stored file chunk by chunk; raises TamperedFile on any fault."""
    header = source.read(HEADER_BYTES)
    if len(header) != HEADER_BYTES or not header.startswith(MAGIC):
        raise TamperedFile("bad header")
    cipher = AESGCM(key)
    prefix = header[len(MAGIC) :]
    sealed_size = CHUNK_SIZE + TAG_BYTES
    current = _read_exactly(source, sealed_size)
    index = 0
    while True:
        following = (
            _read_exactly(source, sealed_size) if len(current) == sealed_size else b""
        )
        last = not following
        if len(current) < TAG_BYTES:
            raise TamperedFile("truncated")
        try:
            yield cipher.decrypt(_nonce(prefix, index, last), current, header)
        except InvalidTag:
            raise TamperedFile("chunk failed authentication") from None
        if last:
            return
        current, index = following, index + 1


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    parts, remaining = [], size
    while remaining:
        piece = source.read(remaining)
        if not piece:
            break
        parts.append(piece)
        remaining -= len(piece)
    return b"".join(parts)


def encrypt_bytes(key: bytes, chunks: Iterable[bytes]) -> bytes:
    """The whole ciphertext of small data at once (tests and tools)."""
    encryptor = Encryptor(key)
    return b"".join([*(encryptor.write(chunk) for chunk in chunks), encryptor.finish()])
