"""Regressions from the adversarial review: each test pins a fixed weakness."""

import json
from unittest import mock

from pushes.models import PasswordPush
from pwpush.logging import redact

from .base import BaseTestCase, make_password_push


class PassphraseWindowTestCase(BaseTestCase):
    def test_it_lifts_a_lockout_at_the_next_minute_on_the_database_cache(self) -> None:
        push = make_password_push(passphrase="right")
        url = f"/p/{push.url_token}.json"
        with mock.patch("pushes.api.current_minute", return_value=16_667):
            statuses = [
                self.client.get(url, {"passphrase": "wrong"}).status_code
                for _ in range(7)
            ]
            self.assertEqual(statuses, [401] * 5 + [429] * 2)
        # the database cache's incr() would have stretched a TTL-based window to 5 minutes
        with mock.patch("pushes.api.current_minute", return_value=16_668):
            response = self.client.get(url, {"passphrase": "right"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["payload"], "testpw")

    def test_it_says_when_to_retry(self) -> None:
        push = make_password_push(passphrase="right")
        for _ in range(5):
            self.client.get(f"/p/{push.url_token}.json", {"passphrase": "wrong"})
        response = self.client.get(f"/p/{push.url_token}.json", {"passphrase": "x"})
        self.assertEqual(response.status_code, 429)
        self.assertIn(int(response["Retry-After"]), range(1, 61))  # the window's end

    def test_it_keeps_refusing_within_the_minute_even_with_the_right_passphrase(
        self,
    ) -> None:
        push = make_password_push(passphrase="right")
        with mock.patch("pushes.api.current_minute", return_value=33_333):
            for _ in range(5):
                self.client.get(f"/p/{push.url_token}.json", {"passphrase": "wrong"})
            response = self.client.get(
                f"/p/{push.url_token}.json", {"passphrase": "right"}
            )
        self.assertEqual(response.status_code, 429)


class MalformedInputTestCase(BaseTestCase):
    def post_raw(self, body: str):
        return self.client.generic(
            "POST",
            "/p.json",
            body.encode("utf-8", "surrogatepass"),
            content_type="application/json",
        )

    def test_it_refuses_absurdly_nested_json_with_400(self) -> None:
        for body in (
            '{"password":' + "[" * 100_000 + "]" * 100_000 + "}",
            '{"a":' * 5000 + "1" + "}" * 5000,
        ):
            response = self.post_raw(body)
            self.assertEqual(response.status_code, 400)
            self.assertEqual(
                response.json(),
                {
                    "error": "param is missing or the value is empty or invalid: password"
                },
            )
        self.assertEqual(PasswordPush.objects.count(), 0)

    def test_it_refuses_lone_surrogates_with_422(self) -> None:
        for field in ("payload", "passphrase", "name", "note"):
            with self.subTest(field=field):
                fields = {"payload": "ok", field: "ab\\ud800cd"}
                body = (
                    '{"password": {'
                    + ", ".join(f'"{k}": "{v}"' for k, v in fields.items())
                    + "}}"
                )
                response = self.post_raw(body)
                self.assertEqual(response.status_code, 422)
                self.assertEqual(
                    response.json(), {field: ["is not valid Unicode text"]}
                )
        self.assertEqual(PasswordPush.objects.count(), 0)

    def test_it_treats_huge_numbers_as_out_of_range(self) -> None:
        huge = "9" * 5000
        response = self.client.post(
            "/p.json",
            {
                "password[payload]": "x",
                "password[expire_after_days]": huge,
                "password[expire_after_views]": huge,
            },
        )
        self.assertEqual(response.status_code, 201)
        self.assertEqual(
            (
                response.json()["expire_after_days"],
                response.json()["expire_after_views"],
            ),
            (7, 5),
        )
        response = self.post_raw(
            json.dumps({"password": {"payload": "x", "expire_after_views": huge}})
        )
        self.assertEqual(response.json()["expire_after_views"], 5)

    def test_it_reads_only_ascii_digits(self) -> None:
        response = self.post_raw(
            json.dumps({"password": {"payload": "x", "expire_after_views": "\u0663"}})
        )
        self.assertEqual(
            response.json()["expire_after_views"], 5
        )  # Arabic-Indic three is not 3
        self.assertEqual(
            self.client.get(
                "/p/active.json", {"page": "\uff11"}, **self.auth(self.alice_token)
            ).status_code,
            400,
        )
        self.assertEqual(
            self.client.get(
                "/p/active.json", {"page": "9" * 30}, **self.auth(self.alice_token)
            ).status_code,
            400,
        )


class PreviewBotTestCase(BaseTestCase):
    def test_it_does_not_spend_a_view_on_link_preview_requests(self) -> None:
        push = make_password_push(expire_after_views=1)
        for header in ("HTTP_X_PURPOSE", "HTTP_SEC_PURPOSE", "HTTP_PURPOSE"):
            for value in ("preview", "prefetch;prerender"):
                response = self.client.get(
                    f"/p/{push.url_token}.json", **{header: value}
                )
                self.assertNotIn(b"testpw", response.content)
        push.refresh_from_db()
        self.assertEqual(push.view_count, 0)
        self.assertEqual(
            self.client.get(f"/p/{push.url_token}.json").json()["payload"], "testpw"
        )


class RedactTestCase(BaseTestCase):
    def test_it_redacts_what_gunicorn_logs_of_malformed_requests(self) -> None:
        line = "Invalid HTTP request line: 'GET /p/won82o75gfss4xcd-8d.json?passphrase=LEAKPASS2\\x01&x=1 HTTP/1.1'"
        self.assertEqual(
            redact(line),
            "Invalid HTTP request line: 'GET /p/[token].json?passphrase=[redacted]&x=1 HTTP/1.1'",
        )
        for header in (
            "Invalid HTTP Header: 'Authorization LEAKTOK3'",
            "Invalid HTTP Header: 'X-User-Token: LEAKTOK3'",
        ):
            self.assertNotIn("LEAKTOK3", redact(header))
        self.assertEqual(
            redact("GET /api/v1/version.json 200"), "GET /api/v1/version.json 200"
        )
        link = "Service Unavailable: /pfb/MTg:1xZB2K:abcDEF_-123/Q3 layoffs list.svg"
        self.assertEqual(redact(link), "Service Unavailable: /pfb/[link]")


class UnknownFileFieldTestCase(BaseTestCase):
    def test_it_ignores_files_under_unknown_keys(self) -> None:
        import io

        from files.models import PendingDeletion

        upload = io.BytesIO(b"stray bytes")
        upload.name = "stray.bin"
        response = self.client.post(
            "/p.json", {"password[payload]": "x", "password[other]": upload}
        )
        self.assertEqual(
            response.status_code, 201
        )  # anonymous, and no file push either
        self.assertTrue(
            PasswordPush.objects.filter(url_token=response.json()["url_token"]).exists()
        )
        self.assertFalse(PendingDeletion.objects.exists())


class CacheOutageTestCase(BaseTestCase):
    def test_it_refuses_passphrase_attempts_when_it_cannot_count_them(self) -> None:
        from django.test import override_settings

        push = make_password_push(passphrase="right")
        dead_redis = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",
            }
        }
        with (
            override_settings(CACHES=dead_redis),
            self.assertLogs("pushes.api", "ERROR"),
        ):
            response = self.client.get(
                f"/p/{push.url_token}.json", {"passphrase": "right"}
            )
        self.assertEqual(response.status_code, 503)
        self.assertIn("error", response.json())
        # a request without a passphrase is not counted, so it still gets its plain 401
        with override_settings(CACHES=dead_redis):
            response = self.client.get(f"/p/{push.url_token}.json")
        self.assertEqual(response.status_code, 401)
        push.refresh_from_db()
        self.assertEqual(push.view_count, 0)
