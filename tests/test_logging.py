"""Logs never carry a push token (the secret link) nor a payload."""

import logging

from pwpush.logging import RedactTokens

from .base import BaseTestCase, make_password_push


class RedactTokensTestCase(BaseTestCase):
    def test_it_redacts_tokens_from_request_logs(self) -> None:
        push = make_password_push(passphrase="right", payload="top-secret-payload")
        handler = logging.Handler()
        records: list[str] = []
        handler.emit = lambda record: records.append(record.getMessage())
        handler.addFilter(RedactTokens())
        logger = logging.getLogger("django.request")
        logger.addHandler(handler)
        try:
            self.client.get(
                f"/p/{push.url_token}.json?passphrase=wrong"
            )  # 401 is logged by Django
            self.client.get("/p/nosuchtoken1234.json")  # so is 404
        finally:
            logger.removeHandler(handler)
        self.assertGreaterEqual(len(records), 2)
        joined = "\n".join(records)
        self.assertNotIn(push.url_token, joined)
        self.assertNotIn("nosuchtoken1234", joined)
        self.assertNotIn("top-secret-payload", joined)
        self.assertIn("/p/[token]", joined)
