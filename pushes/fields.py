"""The encrypted text field: AES-256-GCM at rest, the key id stored in each value."""

import base64

from django.db import models

from .crypto import keyring

PREFIX = "v1"


class EncryptedTextField(models.TextField):
    """Stores str values as "v1:<key id>:<base64 nonce+ciphertext>"; None stays NULL.

    The column name is bound in as associated data, so a ciphertext copied into
    another column does not open.
    """

    def get_prep_value(self, value):
        if value is None:
            return None
        kid, blob = keyring().seal(str(value).encode("utf-8"), self._aad())
        return f"{PREFIX}:{kid}:{base64.b64encode(blob).decode('ascii')}"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        prefix, kid, blob = value.split(":", 2)
        return keyring().open(kid, base64.b64decode(blob), self._aad()).decode("utf-8")

    def _aad(self) -> bytes:
        return f"pwpush:{self.column}".encode()
