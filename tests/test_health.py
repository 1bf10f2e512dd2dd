"""GET /up for load balancers and health checks."""

from unittest import mock

from django.test import override_settings

from .base import BaseTestCase


class HealthTestCase(BaseTestCase):
    def test_it_answers_ok_when_the_database_answers(self) -> None:
        response = self.client.get("/up")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(), {"status": "ok", "database": "ok", "broker": "embedded"}
        )
        self.assertIn("no-store", response["Cache-Control"])

    def test_it_answers_503_when_the_database_does_not(self) -> None:
        with mock.patch(
            "pwpush.health.connection.cursor", side_effect=OSError("connection refused")
        ):
            with self.assertLogs("pwpush.health", "ERROR"):
                response = self.client.get("/up")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["database"], "unreachable")

    @override_settings(REDIS_URL="redis://127.0.0.1:1/0")
    def test_it_reports_an_unreachable_broker_without_failing(self) -> None:
        with self.assertLogs("pwpush.health", "ERROR") as logs:
            response = self.client.get("/up")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["broker"], "unreachable")
        self.assertIn("REDIS_URL", logs.output[0])


class RedisHealthTestCase(BaseTestCase):
    """Against the real Redis named by REDIS_URL (.ci/run sets it)."""

    def test_it_reports_a_reachable_broker(self) -> None:
        import os
        import unittest

        redis_url = os.environ.get("REDIS_URL") or os.environ.get("TEST_REDIS_URL")
        if not redis_url:
            raise unittest.SkipTest("REDIS_URL is not set")
        with override_settings(REDIS_URL=redis_url):
            response = self.client.get("/up")
        self.assertEqual(response.json()["broker"], "ok")
