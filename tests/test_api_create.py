"""Create (text and QR) over every encoding: spec §2, §3, §6, §7.1, §8 and conformance cases 17–40, 52, 53."""

import copy
import importlib.util
import os
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

import pwpush
from audit.models import AuditLog
from pushes.models import PasswordPush

from .base import BaseTestCase
from .spec import CREATE_KEYS, DEFAULT_VALUES

TOKEN = re.compile(r"^[a-z0-9_-]{11,19}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
MISSING_PASSWORD = {
    "error": "param is missing or the value is empty or invalid: password"
}
SIGN_IN = {"error": "You need to sign in or sign up before continuing."}
TOO_LARGE = "The payload is too large.  You can only push up to 1048576 bytes."
QR_TOO_LARGE = "The QR code payload is too large.  You can only push up to 1024 bytes."


def push_settings(group: str, **changes) -> dict:
    """A copy of PUSH_SETTINGS with some keys of one group changed, for override_settings."""
    values = copy.deepcopy(settings.PUSH_SETTINGS)
    values[group].update(changes)
    return values


def load_settings_module(environ: dict) -> object:
    """Executes pwpush/settings.py afresh under exactly this environment."""
    path = Path(pwpush.__file__).with_name("settings.py")
    spec = importlib.util.spec_from_file_location("pwpush_settings_probe", path)
    module = importlib.util.module_from_spec(spec)
    with tempfile.TemporaryDirectory() as data_dir:
        env = {"SECRET_KEY": "test-only", "DATA_DIR": data_dir, **environ}
        with mock.patch.dict(os.environ, env, clear=True):
            spec.loader.exec_module(module)
    return module


class CreateTestCase(BaseTestCase):
    def post_form(
        self,
        fields: dict,
        *,
        token: str | None = None,
        path: str = "/p.json",
        key: str = "password",
        top: dict | None = None,
    ):
        """POST form-encoded bracket keys: password[payload]=..."""
        data = {f"{key}[{name}]": value for name, value in fields.items()}
        data.update(top or {})
        headers = self.auth(token) if token else {}
        return self.client.post(
            path,
            urlencode(data),
            content_type="application/x-www-form-urlencoded",
            **headers,
        )

    def post_multipart(
        self, data: dict, *, token: str | None = None, path: str = "/p.json"
    ):
        headers = self.auth(token) if token else {}
        return self.client.post(path, data, format="multipart", **headers)

    def created(self, response) -> dict:
        self.assertEqual(response.status_code, 201, response.content)
        return response.json()

    def retrieve(self, url_token: str) -> dict:
        response = self.client.get(f"/p/{url_token}.json")
        self.assertEqual(response.status_code, 200)
        return response.json()

    def assertCreateDefaults(self, body: dict) -> None:
        self.assertEqual(set(body), CREATE_KEYS)
        self.assertNotIn("payload", body)
        self.assertNotIn("files", body)
        self.assertEqual({key: body[key] for key in DEFAULT_VALUES}, DEFAULT_VALUES)
        self.assertRegex(body["url_token"], TOKEN)

    def assertNothingStored(self) -> None:
        self.assertEqual(PasswordPush.objects.count(), 0)
        self.assertEqual(AuditLog.objects.count(), 0)


class CreateTextTestCase(CreateTestCase):
    def test_it_creates_from_a_form_body(self) -> None:  # case 17
        response = self.post_form({"payload": "testpw"})
        body = self.created(response)
        self.assertCreateDefaults(body)
        self.assertEqual(response["Content-Type"], "application/json; charset=utf-8")
        self.assertNotIn("Location", response)
        push = PasswordPush.objects.get(url_token=body["url_token"])
        self.assertEqual(push.payload, "testpw")
        self.assertIsNone(push.user)

    def test_it_creates_from_a_json_body(self) -> None:  # case 18
        body = self.created(
            self.client.post(
                "/p.json", {"password": {"payload": "testpw"}}, format="json"
            )
        )
        self.assertCreateDefaults(body)
        self.assertEqual(
            PasswordPush.objects.get(url_token=body["url_token"]).payload, "testpw"
        )

    def test_it_creates_from_a_multipart_body(self) -> None:  # §3.3
        body = self.created(self.post_multipart({"password[payload]": "testpw"}))
        self.assertCreateDefaults(body)
        self.assertEqual(
            PasswordPush.objects.get(url_token=body["url_token"]).payload, "testpw"
        )

    def test_it_reads_every_field_from_a_form_body(self) -> None:
        fields = {
            "payload": "p",
            "passphrase": "pp",
            "name": "n",
            "note": "o",
            "expire_after_days": "3",
            "expire_after_views": "4",
            "deletable_by_viewer": "false",
            "retrieval_step": "false",
        }
        self.assertEveryFieldRead(self.created(self.post_form(fields)))

    def test_it_reads_every_field_from_a_multipart_body(self) -> None:
        data = {
            "password[payload]": "p",
            "password[passphrase]": "pp",
            "password[name]": "n",
            "password[note]": "o",
            "password[expire_after_days]": "3",
            "password[expire_after_views]": "4",
            "password[deletable_by_viewer]": "False",
            "password[retrieval_step]": "False",
        }
        self.assertEveryFieldRead(self.created(self.post_multipart(data)))

    def assertEveryFieldRead(self, body: dict) -> None:
        """The values the two tests above sent, in every encoding."""
        self.assertEqual(
            (body["passphrase"], body["name"], body["note"]), ("pp", "n", "o")
        )
        self.assertEqual(
            (body["expire_after_days"], body["expire_after_views"]), (3, 4)
        )
        self.assertIs(body["deletable_by_viewer"], False)
        self.assertIs(body["retrieval_step"], False)

    def test_it_merges_query_string_parameters(self) -> None:  # §3.3
        response = self.client.post(
            "/p.json?password[payload]=fromquery",
            "",
            content_type="application/x-www-form-urlencoded",
        )
        body = self.created(response)
        self.assertEqual(
            PasswordPush.objects.get(url_token=body["url_token"]).payload, "fromquery"
        )

    def test_it_writes_timestamps_in_milliseconds_and_utc(self) -> None:
        before = datetime.now(UTC)
        body = self.created(self.create())
        for key in ("created_at", "updated_at"):
            self.assertRegex(body[key], TIMESTAMP)
        created = datetime.strptime(
            body["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ"
        ).replace(tzinfo=UTC)
        self.assertLess(abs(created - before), timedelta(seconds=5))

    def test_it_returns_a_non_ascii_payload_unchanged(self) -> None:  # case 19
        body = self.created(self.post_form({"payload": "£¬"}))
        self.assertEqual(self.retrieve(body["url_token"])["payload"], "£¬")
        body = self.created(self.create({"payload": "£¬"}))
        self.assertEqual(self.retrieve(body["url_token"])["payload"], "£¬")

    def test_it_parses_deletable_by_viewer_true_false_and_absent(
        self,
    ) -> None:  # case 20
        self.assertIs(
            self.created(
                self.post_form({"payload": "x", "deletable_by_viewer": "true"})
            )["deletable_by_viewer"],
            True,
        )
        self.assertIs(
            self.created(
                self.post_form({"payload": "x", "deletable_by_viewer": "false"})
            )["deletable_by_viewer"],
            False,
        )
        self.assertIs(
            self.created(self.post_form({"payload": "x"}))["deletable_by_viewer"], True
        )

    def test_it_parses_true_words_as_true(self) -> None:  # case 21
        for value in ("on", "YES", "Checked", "1", "True", "true", "ON"):
            with self.subTest(value=value):
                body = self.created(
                    self.post_form({"payload": "x", "deletable_by_viewer": value})
                )
                self.assertIs(body["deletable_by_viewer"], True)

    def test_it_parses_other_words_as_false(self) -> None:  # case 21
        for value in ("no", "0", "", "maybe", "false", " true", "true ", "t", "y", "2"):
            with self.subTest(value=value):
                body = self.created(
                    self.post_form({"payload": "x", "deletable_by_viewer": value})
                )
                self.assertIs(body["deletable_by_viewer"], False)
                body = self.created(self.create({"deletable_by_viewer": value}))
                self.assertIs(body["deletable_by_viewer"], False)

    def test_it_parses_retrieval_step_like_deletable_by_viewer(self) -> None:  # §7.1.3
        for value, expected in (
            ("on", True),
            ("1", True),
            ("no", False),
            ("", False),
            ("maybe", False),
        ):
            with self.subTest(value=value):
                body = self.created(
                    self.post_form({"payload": "x", "retrieval_step": value})
                )
                self.assertIs(body["retrieval_step"], expected)

    def test_it_parses_json_booleans(self) -> None:  # case 22
        body = self.created(
            self.create({"deletable_by_viewer": False, "retrieval_step": True})
        )
        self.assertIs(body["deletable_by_viewer"], False)
        self.assertIs(body["retrieval_step"], True)
        body = self.created(
            self.create({"deletable_by_viewer": True, "retrieval_step": False})
        )
        self.assertIs(body["deletable_by_viewer"], True)
        self.assertIs(body["retrieval_step"], False)

    def test_it_parses_json_null_as_false(
        self,
    ) -> None:  # §7.1.3: present, even null, is parsed
        body = self.created(
            self.create({"deletable_by_viewer": None, "retrieval_step": None})
        )
        self.assertIs(body["deletable_by_viewer"], False)
        self.assertIs(body["retrieval_step"], False)

    def test_it_parses_python_style_true_from_multipart(
        self,
    ) -> None:  # §7.1.3, the CLI
        body = self.created(
            self.post_multipart(
                {
                    "password[payload]": "x",
                    "password[deletable_by_viewer]": "True",
                    "password[retrieval_step]": "True",
                }
            )
        )
        self.assertIs(body["deletable_by_viewer"], True)
        self.assertIs(body["retrieval_step"], True)

    def test_it_drops_r_from_html_url_without_retrieval_step(self) -> None:  # case 23
        body = self.created(self.post_form({"payload": "x", "retrieval_step": "false"}))
        self.assertIs(body["retrieval_step"], False)
        self.assertEqual(body["html_url"], f"http://testserver/p/{body['url_token']}")
        self.assertEqual(body["json_url"], body["html_url"] + ".json")

    def test_it_ends_html_url_in_r_by_default(self) -> None:  # case 24
        body = self.created(self.create())
        self.assertEqual(body["html_url"], f"http://testserver/p/{body['url_token']}/r")
        self.assertEqual(body["json_url"], body["html_url"] + ".json")

    def test_it_keeps_days_and_views_in_range(self) -> None:  # case 25
        body = self.created(
            self.post_form(
                {"payload": "x", "expire_after_days": "1", "expire_after_views": "5"}
            )
        )
        self.assertEqual((body["expire_after_days"], body["days_remaining"]), (1, 1))
        self.assertEqual((body["expire_after_views"], body["views_remaining"]), (5, 5))
        push = PasswordPush.objects.get(url_token=body["url_token"])
        self.assertEqual((push.expire_after_days, push.expire_after_views), (1, 5))

    def test_it_includes_the_bounds(self) -> None:  # case 26
        body = self.created(
            self.create({"expire_after_days": 90, "expire_after_views": 100})
        )
        self.assertEqual(
            (body["expire_after_days"], body["expire_after_views"]), (90, 100)
        )
        self.assertEqual((body["days_remaining"], body["views_remaining"]), (90, 100))
        body = self.created(self.create({"expire_after_views": 1}))
        self.assertEqual(body["expire_after_views"], 1)

    def test_it_replaces_out_of_range_days_with_the_default(self) -> None:  # case 27
        for value in ("91", "0", "-1", "abc", "1000"):
            with self.subTest(value=value):
                body = self.created(
                    self.post_form({"payload": "x", "expire_after_days": value})
                )
                self.assertEqual(
                    (body["expire_after_days"], body["days_remaining"]), (7, 7)
                )

    def test_it_replaces_out_of_range_views_with_the_default(self) -> None:  # case 27
        for value in ("101", "0", "-5", "abc"):
            with self.subTest(value=value):
                body = self.created(
                    self.post_form({"payload": "x", "expire_after_views": value})
                )
                self.assertEqual(
                    (body["expire_after_views"], body["views_remaining"]), (5, 5)
                )

    def test_it_answers_400_without_parameters(self) -> None:  # case 28
        for response in (
            self.client.post("/p.json"),
            self.client.post(
                "/p.json", "", content_type="application/x-www-form-urlencoded"
            ),
            self.client.post("/p.json", {}, format="json"),
            self.client.post("/p.json", {"password": {}}, format="json"),
            self.client.post("/p.json", {"password": ""}, format="json"),
            self.client.post("/p.json", {"password": None}, format="json"),
        ):
            self.assertEqual(response.status_code, 400)
            self.assertEqual(response.json(), MISSING_PASSWORD)
        self.assertNothingStored()

    def test_it_requires_a_payload(self) -> None:  # case 29
        for fields in (
            {"payload": ""},
            {"payload": "   "},
            {"payload": " \n\t "},
            {"name": "no payload"},
        ):
            with self.subTest(fields=fields):
                response = self.post_form(fields)
                self.assertEqual(response.status_code, 422)
                self.assertEqual(response.json(), {"payload": ["Payload is required."]})
        response = self.create({"payload": None})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json(), {"payload": ["Payload is required."]})
        self.assertNothingStored()

    def test_it_refuses_a_payload_over_1048576_characters(self) -> None:  # case 30
        response = self.create({"payload": "a" * 1_048_577})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json(), {"payload": [TOO_LARGE]})
        self.assertNothingStored()

    def test_it_accepts_a_payload_of_exactly_1048576_characters(
        self,
    ) -> None:  # case 30
        body = self.created(self.create({"payload": "a" * 1_048_576}))
        self.assertEqual(
            len(PasswordPush.objects.get(url_token=body["url_token"]).payload),
            1_048_576,
        )

    def test_it_counts_the_limit_in_characters_not_bytes(self) -> None:  # §8.1, §14.5
        body = self.created(self.create({"payload": "é" * 1_048_576}))
        self.assertEqual(
            len(PasswordPush.objects.get(url_token=body["url_token"]).payload),
            1_048_576,
        )

    def test_it_echoes_the_passphrase(self) -> None:  # case 31
        body = self.created(self.post_form({"payload": "x", "passphrase": "asdf"}))
        self.assertEqual(body["passphrase"], "asdf")
        self.assertEqual(
            PasswordPush.objects.get(url_token=body["url_token"]).passphrase, "asdf"
        )

    def test_it_stores_an_explicit_text_kind(self) -> None:  # case 32
        body = self.created(self.post_form({"payload": "x", "kind": "text"}))
        self.assertEqual(
            PasswordPush.objects.get(url_token=body["url_token"]).kind,
            PasswordPush.Kind.TEXT,
        )
        body = self.created(self.create())
        self.assertEqual(
            PasswordPush.objects.get(url_token=body["url_token"]).kind,
            PasswordPush.Kind.TEXT,
        )

    def test_it_echoes_name_and_note(self) -> None:  # case 33
        response = self.post_form(
            {
                "payload": "x",
                "name": "Test Password",
                "note": "This is a test password",
            },
            token=self.alice_token,
        )
        body = self.created(response)
        self.assertEqual(body["name"], "Test Password")
        self.assertEqual(body["note"], "This is a test password")
        self.assertEqual(
            PasswordPush.objects.get(url_token=body["url_token"]).user, self.alice
        )

    def test_it_echoes_a_note_from_an_anonymous_caller(self) -> None:  # §7.1.1
        body = self.created(self.create({"note": "anon note"}))
        self.assertEqual(body["note"], "anon note")

    def test_it_makes_distinct_legacy_shaped_tokens(self) -> None:  # case 34
        tokens = {self.created(self.create())["url_token"] for _ in range(5)}
        self.assertEqual(len(tokens), 5)
        for token in tokens:
            self.assertRegex(token, TOKEN)

    @override_settings(OVERRIDE_BASE_URL="https://example.com:12345")
    def test_it_builds_urls_on_the_override_base_url(self) -> None:  # case 35
        body = self.created(self.create())
        token = body["url_token"]
        preview = self.client.get(f"/p/{token}/preview.json")
        self.assertEqual(preview.status_code, 200)
        for url in (body["html_url"], body["json_url"], preview.json()["url"]):
            parts = urlsplit(url)
            self.assertEqual(
                (parts.scheme, parts.hostname, parts.port),
                ("https", "example.com", 12345),
            )
            self.assertIn(token, parts.path)
        self.assertEqual(body["html_url"], f"https://example.com:12345/p/{token}/r")
        self.assertEqual(preview.json()["url"], body["html_url"])

    @override_settings(FORCE_SSL=True)
    def test_it_rewrites_http_to_https_with_force_ssl(self) -> None:  # §6.4 step 4
        body = self.created(self.create())
        self.assertEqual(
            body["html_url"], f"https://testserver/p/{body['url_token']}/r"
        )

    def test_it_appends_an_enabled_push_locale(self) -> None:  # case 36
        body = self.created(
            self.client.post(
                "/p.json",
                {"password": {"payload": "x"}, "push_locale": "es"},
                format="json",
            )
        )
        self.assertTrue(
            body["html_url"].endswith(f"/p/{body['url_token']}/r?locale=es")
        )
        self.assertEqual(body["json_url"], body["html_url"] + ".json")

    def test_it_appends_a_push_locale_from_the_query_string(
        self,
    ) -> None:  # case 36, §3.3
        response = self.client.post(
            "/p.json?push_locale=es", {"password": {"payload": "x"}}, format="json"
        )
        self.assertTrue(self.created(response)["html_url"].endswith("?locale=es"))

    def test_it_ignores_a_push_locale_that_is_not_enabled(self) -> None:  # case 36
        body = self.created(self.post_form({"payload": "x"}, top={"push_locale": "xx"}))
        self.assertNotIn("locale=", body["html_url"])
        self.assertNotIn("locale=", body["json_url"])

    def test_it_writes_one_creation_audit_entry(self) -> None:  # case 37
        body = self.created(self.create(token=self.alice_token))
        response = self.client.get(
            f"/p/{body['url_token']}/audit.json", **self.auth(self.alice_token)
        )
        self.assertEqual(response.status_code, 200)
        views = response.json()["views"]
        self.assertEqual(len(views), 1)
        self.assertEqual(views[0]["kind"], "creation")
        entry = AuditLog.objects.for_push(
            PasswordPush.objects.get(url_token=body["url_token"])
        ).get()
        self.assertEqual(
            (entry.kind, entry.user, entry.ip),
            (AuditLog.Kind.CREATION, self.alice, "127.0.0.1"),
        )

    def test_it_audits_an_anonymous_create_without_a_user(
        self,
    ) -> None:  # §7.1.4 step 5
        body = self.created(
            self.create(
                HTTP_USER_AGENT="curl/8.5.0", HTTP_REFERER="https://ref.example/"
            )
        )
        entry = AuditLog.objects.for_push(
            PasswordPush.objects.get(url_token=body["url_token"])
        ).get()
        self.assertEqual(entry.kind, AuditLog.Kind.CREATION)
        self.assertIsNone(entry.user)
        self.assertEqual(
            (entry.user_agent, entry.referrer), ("curl/8.5.0", "https://ref.example/")
        )

    def test_it_refuses_an_unknown_kind(self) -> None:  # §3.4, §14.6
        for kind in ("foo", "TEXT", "files"):
            with self.subTest(kind=kind):
                response = self.post_form({"payload": "x", "kind": kind})
                self.assertEqual(response.status_code, 422)
                self.assertEqual(
                    response.json(), {"kind": ["is not within the available options"]}
                )
        self.assertNothingStored()

    def test_it_drops_unknown_nested_keys(self) -> None:  # §3.2
        body = self.created(
            self.create({"colour": "red", "notify_emails_to": "a@example.com"})
        )
        self.assertEqual(set(body), CREATE_KEYS)


class CreateQrTestCase(CreateTestCase):
    def test_it_creates_a_qr_push(self) -> None:  # case 38
        body = self.created(
            self.client.post(
                "/p.json",
                {"password": {"kind": "qr", "payload": "testqr"}},
                format="json",
            )
        )
        self.assertCreateDefaults(body)
        push = PasswordPush.objects.get(url_token=body["url_token"])
        self.assertEqual((push.kind, push.payload), (PasswordPush.Kind.QR, "testqr"))

    def test_it_takes_qr_defaults_from_the_qr_group(self) -> None:  # case 38
        qr = push_settings(
            "qr",
            expire_after_days_default=3,
            expire_after_views_default=2,
            retrieval_step_default=False,
            deletable_pushes_default=False,
        )
        with self.settings(PUSH_SETTINGS=qr):
            body = self.created(self.create({"kind": "qr"}))
            self.assertEqual(
                (body["expire_after_days"], body["expire_after_views"]), (3, 2)
            )
            self.assertIs(body["retrieval_step"], False)
            self.assertIs(body["deletable_by_viewer"], False)
            text = self.created(self.create())
            self.assertEqual(
                (text["expire_after_days"], text["expire_after_views"]), (7, 5)
            )
            self.assertIs(text["retrieval_step"], True)

    def test_it_refuses_a_qr_payload_over_1024_characters(self) -> None:  # case 39
        response = self.create({"kind": "qr", "payload": "q" * 1025})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json(), {"payload": [QR_TOO_LARGE]})
        self.assertNothingStored()

    def test_it_accepts_a_qr_payload_of_1024_characters(self) -> None:  # case 39
        body = self.created(self.create({"kind": "qr", "payload": "q" * 1024}))
        self.assertEqual(
            PasswordPush.objects.get(url_token=body["url_token"]).kind,
            PasswordPush.Kind.QR,
        )

    def test_it_requires_a_qr_payload(self) -> None:  # §8.1
        response = self.post_form({"kind": "qr", "payload": " "})
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json(), {"payload": ["Payload is required."]})

    @override_settings(ENABLE_QR_PUSHES=False)
    def test_it_refuses_qr_when_disabled(self) -> None:  # case 40
        for response in (
            self.create({"kind": "qr"}),
            self.post_form({"kind": "qr", "payload": "x"}),
        ):
            self.assertEqual(response.status_code, 422)
            self.assertEqual(
                response.json(), {"kind": ["QR code pushes are disabled."]}
            )
        self.assertNothingStored()
        self.created(self.create())  # text pushes still work


class AnonymousFilePushTestCase(CreateTestCase):
    def assertSignInRequired(self, response) -> None:
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json(), SIGN_IN)
        self.assertNothingStored()

    def test_it_refuses_an_anonymous_upload(self) -> None:  # case 52
        upload = SimpleUploadedFile("f.txt", b"hello", content_type="text/plain")
        self.assertSignInRequired(
            self.post_multipart(
                {"password[payload]": "x", "password[files][]": [upload]}
            )
        )

    def test_it_refuses_an_anonymous_empty_files_key(self) -> None:  # case 53
        self.assertSignInRequired(self.create({"files": []}))

    def test_it_refuses_an_anonymous_empty_files_key_in_a_form(self) -> None:  # case 53
        response = self.client.post(
            "/p.json",
            "password[payload]=x&password[files][]=",
            content_type="application/x-www-form-urlencoded",
        )
        self.assertSignInRequired(response)

    def test_it_refuses_an_anonymous_file_kind(self) -> None:  # case 53
        self.assertSignInRequired(self.create({"kind": "file"}))
        self.assertSignInRequired(self.post_form({"payload": "x", "kind": "file"}))


class SettingsTestCase(CreateTestCase):
    """Spec §2: the PWP__ names and how each group's values drive create."""

    def test_it_ships_the_documented_defaults(self) -> None:
        module = load_settings_module({})
        self.assertIs(module.ALLOW_ANONYMOUS, True)
        self.assertIs(module.ENABLE_FILE_PUSHES, True)
        self.assertIs(module.ENABLE_URL_PUSHES, True)
        self.assertIs(module.ENABLE_QR_PUSHES, True)
        self.assertIs(module.REQUIRE_MFA, False)
        self.assertEqual(module.OVERRIDE_BASE_URL, "")
        common = {
            "expire_after_days_default": 7,
            "expire_after_days_min": 1,
            "expire_after_days_max": 90,
            "expire_after_views_default": 5,
            "expire_after_views_min": 1,
            "expire_after_views_max": 100,
            "enable_retrieval_step": True,
            "retrieval_step_default": True,
        }
        deletable = {"enable_deletable_pushes": True, "deletable_pushes_default": True}
        self.assertEqual(
            module.PUSH_SETTINGS,
            {
                "pw": {**common, **deletable},
                "url": common,
                "files": {**common, **deletable, "max_file_uploads": 10},
                "qr": {**common, **deletable},
            },
        )
        self.assertIn("pt-BR", module.ENABLED_LANGUAGE_CODES)
        self.assertIn("es", module.ENABLED_LANGUAGE_CODES)

    def test_it_reads_the_pwp_names(self) -> None:
        module = load_settings_module(
            {
                "PWP__ALLOW_ANONYMOUS": "false",
                "PWP__ENABLE_QR_PUSHES": "false",
                "PWP__ENABLE_FILE_PUSHES": "false",
                "PWP__ENABLE_URL_PUSHES": "false",
                "PWP__OVERRIDE_BASE_URL": "https://pwpush.example:5100",
                "PWP__REQUIRE_MFA": "true",
                "PWP__PW__EXPIRE_AFTER_DAYS_DEFAULT": "3",
                "PWP__PW__ENABLE_DELETABLE_PUSHES": "false",
                "PWP__QR__RETRIEVAL_STEP_DEFAULT": "false",
                "PWP__URL__EXPIRE_AFTER_VIEWS_MAX": "50",
                "PWP__FILES__MAX_FILE_UPLOADS": "4",
            }
        )
        self.assertIs(module.ALLOW_ANONYMOUS, False)
        self.assertIs(module.ENABLE_QR_PUSHES, False)
        self.assertIs(module.ENABLE_FILE_PUSHES, False)
        self.assertIs(module.ENABLE_URL_PUSHES, False)
        self.assertEqual(module.OVERRIDE_BASE_URL, "https://pwpush.example:5100")
        self.assertIs(module.REQUIRE_MFA, True)
        self.assertEqual(module.PUSH_SETTINGS["pw"]["expire_after_days_default"], 3)
        self.assertIs(module.PUSH_SETTINGS["pw"]["enable_deletable_pushes"], False)
        self.assertIs(module.PUSH_SETTINGS["qr"]["retrieval_step_default"], False)
        self.assertIs(module.PUSH_SETTINGS["pw"]["retrieval_step_default"], True)
        self.assertEqual(module.PUSH_SETTINGS["url"]["expire_after_views_max"], 50)
        self.assertEqual(module.PUSH_SETTINGS["files"]["max_file_uploads"], 4)

    def test_it_uses_the_group_defaults_and_ranges(self) -> None:
        pw = push_settings(
            "pw",
            expire_after_days_default=4,
            expire_after_days_min=2,
            expire_after_days_max=10,
            expire_after_views_default=3,
            expire_after_views_min=2,
            expire_after_views_max=20,
        )
        with self.settings(PUSH_SETTINGS=pw):
            for days, views, expected in (
                (None, None, (4, 3)),
                (2, 2, (2, 2)),
                (10, 20, (10, 20)),
                (1, 1, (4, 3)),
                (11, 21, (4, 3)),
            ):
                with self.subTest(days=days, views=views):
                    fields = (
                        {}
                        if days is None
                        else {"expire_after_days": days, "expire_after_views": views}
                    )
                    body = self.created(self.create(fields))
                    self.assertEqual(
                        (body["expire_after_days"], body["expire_after_views"]),
                        expected,
                    )
                    self.assertEqual(
                        (body["days_remaining"], body["views_remaining"]), expected
                    )

    def test_it_forces_deletable_off_when_disabled(self) -> None:
        with self.settings(
            PUSH_SETTINGS=push_settings("pw", enable_deletable_pushes=False)
        ):
            self.assertIs(
                self.created(self.create({"deletable_by_viewer": True}))[
                    "deletable_by_viewer"
                ],
                False,
            )
            self.assertIs(self.created(self.create())["deletable_by_viewer"], False)

    def test_it_uses_the_deletable_default_only_when_absent(self) -> None:
        with self.settings(
            PUSH_SETTINGS=push_settings("pw", deletable_pushes_default=False)
        ):
            self.assertIs(self.created(self.create())["deletable_by_viewer"], False)
            self.assertIs(
                self.created(self.create({"deletable_by_viewer": "on"}))[
                    "deletable_by_viewer"
                ],
                True,
            )

    def test_it_forces_retrieval_step_off_when_disabled(self) -> None:
        with self.settings(
            PUSH_SETTINGS=push_settings("pw", enable_retrieval_step=False)
        ):
            body = self.created(self.create({"retrieval_step": True}))
            self.assertIs(body["retrieval_step"], False)
            self.assertEqual(
                body["html_url"], f"http://testserver/p/{body['url_token']}"
            )

    def test_it_uses_the_retrieval_step_default_only_when_absent(self) -> None:
        with self.settings(
            PUSH_SETTINGS=push_settings("pw", retrieval_step_default=False)
        ):
            self.assertIs(self.created(self.create())["retrieval_step"], False)
            self.assertIs(
                self.created(self.create({"retrieval_step": "yes"}))["retrieval_step"],
                True,
            )


class TokenShapeTestCase(BaseTestCase):
    def test_it_never_starts_a_token_with_a_dash(self) -> None:
        from pushes.models import new_url_token

        tokens = [new_url_token() for _ in range(2000)]
        self.assertFalse([t for t in tokens if t[0] in "-_"])
        self.assertTrue(
            any("-" in t[1:] for t in tokens)
        )  # the rest of the alphabet is still used
