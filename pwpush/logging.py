"""Log filters. A push token in a path is the secret link itself, so logs never carry one."""

import logging
import re

TOKEN_IN_PATH = re.compile(r"/([pfr])/[A-Za-z0-9_-]+")


class RedactTokens(logging.Filter):
    """Replaces /p/<token>, /f/<token>, /r/<token> in a record's message with /p/[token]."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = TOKEN_IN_PATH.sub(r"/\1/[token]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
