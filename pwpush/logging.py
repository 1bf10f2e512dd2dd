"""Log filters. A push token in a path is the secret link itself, so logs never carry one."""

import logging
import re

TOKEN_IN_PATH = re.compile(r"/([pfr])/[A-Za-z0-9_-]+")
# a file name may hold spaces: everything after /pfb/ goes, up to a quote or the line's end
DOWNLOAD_LINK = re.compile(r"/pfb/[^'\"\r\n]+")
PASSPHRASE_PARAM = re.compile(r"(?i)(passphrase=)[^&\s'\"]*")
CREDENTIAL_HEADER = re.compile(
    r"(?i)(authorization|x-user-token|cookie)([\s:=]*)[^'\"\r\n]*"
)


def redact(message: str) -> str:
    """The message without push tokens, passphrases or credentials."""
    message = TOKEN_IN_PATH.sub(r"/\1/[token]", message)
    message = DOWNLOAD_LINK.sub("/pfb/[link]", message)
    message = PASSPHRASE_PARAM.sub(r"\1[redacted]", message)
    return CREDENTIAL_HEADER.sub(r"\1\2[redacted]", message)


class RedactTokens(logging.Filter):
    """Redacts push tokens (/p/<token>), passphrase parameters and credential headers.

    Django logs the paths of 4xx answers; gunicorn logs whole malformed request lines and
    headers. Either may hold a secret link, a passphrase or an API token.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
