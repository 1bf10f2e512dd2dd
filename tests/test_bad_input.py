"""Bad input to create: every malformed body gets a 4xx with a JSON body, never a 500, and stores nothing.

Spec §3.2 (arrays/objects where a scalar belongs count as absent), §3.3, §7.1.2, §7.1.3, §8.
"""

import json
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from audit.models import AuditLog
from pushes.models import PasswordPush

from .base import BaseTestCase

MISSING_PASSWORD = {
    "error": "param is missing or the value is empty or invalid: password"
}
PAYLOAD_REQUIRED = {"payload": ["Payload is required."]}
TOO_LARGE = {
    "payload": ["The payload is too large.  You can only push up to 1048576 bytes."]
}


class BadInputTestCase(BaseTestCase):
    def post_raw(
        self, body: str | bytes, content_type: str = "application/json", **extra
    ):
        return self.client.post("/p.json", body, content_type=content_type, **extra)

    def post_json(self, body, **extra):
        return self.post_raw(json.dumps(body), **extra)

    def post_form(self, body: str | dict, **extra):
        data = body if isinstance(body, str) else urlencode(body)
        return self.post_raw(data, "application/x-www-form-urlencoded", **extra)

    def created(self, response) -> dict:
        self.assertEqual(response.status_code, 201, response.content)
        return response.json()

    def assertRejected(
        self, response, status: int | None = None, body: dict | None = None
    ) -> None:
        """A 4xx (this one, if given) with a JSON object body, and nothing stored."""
        if status is None:
            self.assertGreaterEqual(response.status_code, 400, response.content)
            self.assertLess(response.status_code, 500, response.content)
        else:
            self.assertEqual(response.status_code, status, response.content)
        self.assertTrue(
            response["Content-Type"].startswith("application/json"),
            response["Content-Type"],
        )
        self.assertIsInstance(response.json(), dict)
        if body is not None:
            self.assertEqual(response.json(), body)
        self.assertEqual(PasswordPush.objects.count(), 0)
        self.assertEqual(AuditLog.objects.count(), 0)

    def assertBare401(self, response) -> None:
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.content, b"")
        self.assertEqual(PasswordPush.objects.count(), 0)


class MalformedBodyTestCase(BadInputTestCase):
    def test_it_rejects_invalid_json(self) -> None:
        for body in (
            '{"password": {',
            "{'password': {'payload': 'x'}}",
            "password[payload]=x",
            "\x00\x01",
            "{",
        ):
            with self.subTest(body=body):
                self.assertRejected(self.post_raw(body), 400)

    def test_it_rejects_invalid_utf8_in_json(self) -> None:
        self.assertRejected(
            self.post_raw(b'{"password": {"payload": "\xff\xfe"}}'), 400
        )

    def test_it_rejects_a_json_top_level_that_is_not_an_object(self) -> None:
        for body in ([{"password": {"payload": "x"}}], [], "password", 5, None, True):
            with self.subTest(body=body):
                self.assertRejected(self.post_json(body), 400, MISSING_PASSWORD)

    def test_it_rejects_password_that_is_not_an_object(self) -> None:  # §3.3, §14.7
        for value in (
            "abc",
            ["x"],
            [{"payload": "x"}],
            5,
            1.5,
            True,
            False,
            None,
            {},
            "",
        ):
            with self.subTest(value=value):
                self.assertRejected(
                    self.post_json({"password": value}), 400, MISSING_PASSWORD
                )

    def test_it_rejects_a_scalar_password_in_a_form(
        self,
    ) -> None:  # §14.7: legacy 500s here
        for body in ("password=abc", "password=", "password[]=a&password[]=b"):
            with self.subTest(body=body):
                self.assertRejected(self.post_form(body), 400, MISSING_PASSWORD)

    def test_it_rejects_the_wrong_top_level_key(self) -> None:
        for body in (
            {"payload": "x"},
            {"file_push": {"payload": "x"}},
            {"url": {"payload": "https://a.example"}},
            {"Password": {"payload": "x"}},
        ):
            with self.subTest(body=body):
                self.assertRejected(self.post_json(body), 400, MISSING_PASSWORD)

    def test_it_rejects_a_payload_nested_too_deep(self) -> None:
        self.assertRejected(
            self.post_json({"password": {"password": {"payload": "x"}}}),
            422,
            PAYLOAD_REQUIRED,
        )
        self.assertRejected(
            self.post_form("password[payload][inner]=x"), 422, PAYLOAD_REQUIRED
        )

    def test_it_treats_a_payload_array_or_object_as_absent(self) -> None:  # §3.2
        for payload in (["x"], {"a": "x"}, [], {}):
            with self.subTest(payload=payload):
                self.assertRejected(
                    self.post_json({"password": {"payload": payload}}),
                    422,
                    PAYLOAD_REQUIRED,
                )
        self.assertRejected(
            self.post_form("password[payload][]=a&password[payload][]=b"),
            422,
            PAYLOAD_REQUIRED,
        )

    def test_it_turns_a_number_or_boolean_payload_into_text(
        self,
    ) -> None:  # §3.3: JSON scalars are accepted
        for payload, text in ((12345, "12345"), (True, "true")):
            with self.subTest(payload=payload):
                body = self.created(self.post_json({"password": {"payload": payload}}))
                response = self.client.get(f"/p/{body['url_token']}.json")
                self.assertEqual(response.json()["payload"], text)

    def test_it_treats_arrays_and_objects_in_other_fields_as_absent(
        self,
    ) -> None:  # §3.2
        fields = {
            "payload": "x",
            "passphrase": ["p"],
            "name": {"a": 1},
            "note": ["n"],
            "expire_after_days": [3],
            "expire_after_views": {"v": 2},
            "deletable_by_viewer": [False],
            "retrieval_step": {"x": False},
            "kind": ["qr"],
        }
        body = self.created(self.post_json({"password": fields}))
        self.assertEqual((body["passphrase"], body["name"], body["note"]), ("", "", ""))
        self.assertEqual(
            (body["expire_after_days"], body["expire_after_views"]), (7, 5)
        )
        self.assertIs(body["deletable_by_viewer"], True)
        self.assertIs(body["retrieval_step"], True)
        push = PasswordPush.objects.get(url_token=body["url_token"])
        self.assertEqual(push.kind, PasswordPush.Kind.TEXT)
        self.assertEqual(push.passphrase, "")

    def test_it_treats_bracket_arrays_in_a_form_as_absent(self) -> None:  # §3.2
        body = self.created(
            self.post_form(
                "password[payload]=x&password[expire_after_days][]=3&password[deletable_by_viewer][]=false"
                "&password[name][a]=b"
            )
        )
        self.assertEqual(body["expire_after_days"], 7)
        self.assertIs(body["deletable_by_viewer"], True)
        self.assertEqual(body["name"], "")


class LenientCoercionTestCase(BadInputTestCase):
    def test_it_coerces_days_leniently(self) -> None:  # §7.1.2
        cases = [
            ("12abc", 12),
            (" 7", 7),
            ("+3", 3),
            (2.9, 2),
            (90.99, 90),
            (True, 1),
            (False, 7),
            ("", 7),
            (None, 7),
            ("abc", 7),
            ("-3", 7),
            (-3, 7),
            (0, 7),
            ("9" * 40, 7),
            (1e300, 7),
            (10**30, 7),
            ("3.7", 3),
            ("0x10", 7),
        ]
        for value, expected in cases:
            with self.subTest(value=value):
                body = self.created(
                    self.post_json(
                        {"password": {"payload": "x", "expire_after_days": value}}
                    )
                )
                self.assertEqual(body["expire_after_days"], expected)

    def test_it_coerces_views_leniently(self) -> None:  # §7.1.2
        cases = [
            ("12abc", 12),
            (" 7", 7),
            (2.9, 2),
            (True, 1),
            (False, 5),
            ("", 5),
            (None, 5),
            ("abc", 5),
            ("101", 5),
            ("9" * 40, 5),
            (-1e300, 5),
        ]
        for value, expected in cases:
            with self.subTest(value=value):
                body = self.created(
                    self.post_json(
                        {"password": {"payload": "x", "expire_after_views": value}}
                    )
                )
                self.assertEqual(body["expire_after_views"], expected)

    def test_it_survives_non_finite_json_numbers(self) -> None:
        # Python's json accepts NaN/Infinity; they must not crash the integer coercion
        for literal in ("NaN", "Infinity", "-Infinity"):
            with self.subTest(literal=literal):
                response = self.post_raw(
                    '{"password": {"payload": "x", "expire_after_days": '
                    + literal
                    + "}}"
                )
                self.assertLess(response.status_code, 500)
                if response.status_code == 201:
                    self.assertEqual(response.json()["expire_after_days"], 7)
                    PasswordPush.objects.all().delete()
                    AuditLog.objects.all().delete()
                else:
                    self.assertRejected(response)

    def test_it_coerces_days_from_a_form(self) -> None:  # §7.1.2
        for value, expected in (
            ("12abc", 12),
            (" 7", 7),
            ("2.9", 2),
            ("abc", 7),
            ("", 7),
            ("91", 7),
        ):
            with self.subTest(value=value):
                body = self.created(
                    self.post_form(
                        {"password[payload]": "x", "password[expire_after_days]": value}
                    )
                )
                self.assertEqual(body["expire_after_days"], expected)

    def test_it_parses_booleans_of_every_json_type(self) -> None:  # §7.1.3
        cases = [
            (True, True),
            (False, False),
            (1, True),
            (0, False),
            (1.0, False),
            ("TRUE", True),
            ("on", True),
            ("off", False),
            (" true", False),
            (None, False),
            (2, False),
        ]
        for value, expected in cases:
            with self.subTest(value=value):
                fields = {
                    "payload": "x",
                    "deletable_by_viewer": value,
                    "retrieval_step": value,
                }
                body = self.created(self.post_json({"password": fields}))
                self.assertIs(body["deletable_by_viewer"], expected)
                self.assertIs(body["retrieval_step"], expected)

    def test_it_treats_a_non_string_kind_as_unknown(self) -> None:  # §3.4
        for kind in (5, True, 1.5):
            with self.subTest(kind=kind):
                response = self.post_json({"password": {"payload": "x", "kind": kind}})
                self.assertRejected(
                    response, 422, {"kind": ["is not within the available options"]}
                )

    def test_it_rejects_an_unknown_kind(self) -> None:  # §3.4, §14.6
        for kind in ("foo", " text ", "Text", "kind", "file_push"):
            with self.subTest(kind=kind):
                response = self.post_json({"password": {"payload": "x", "kind": kind}})
                self.assertRejected(
                    response, 422, {"kind": ["is not within the available options"]}
                )

    def test_it_infers_text_for_a_blank_kind(
        self,
    ) -> None:  # §3.4: only a non-blank kind is used
        for kind in ("", "  ", None):
            with self.subTest(kind=kind):
                body = self.created(
                    self.post_json({"password": {"payload": "x", "kind": kind}})
                )
                self.assertEqual(
                    PasswordPush.objects.get(url_token=body["url_token"]).kind,
                    PasswordPush.Kind.TEXT,
                )


class PayloadSizeTestCase(BadInputTestCase):
    def test_it_rejects_1048577_characters(self) -> None:  # case 30
        self.assertRejected(
            self.post_json({"password": {"payload": "a" * 1_048_577}}), 422, TOO_LARGE
        )
        self.assertRejected(
            self.post_form({"password[payload]": "a" * 1_048_577}), 422, TOO_LARGE
        )

    def test_it_accepts_exactly_1048576_characters(self) -> None:  # case 30
        body = self.created(self.post_json({"password": {"payload": "a" * 1_048_576}}))
        self.assertEqual(
            len(self.client.get(f"/p/{body['url_token']}.json").json()["payload"]),
            1_048_576,
        )

    def test_it_refuses_a_json_body_over_the_upload_limit(self) -> None:
        response = self.post_json(
            {"password": {"payload": "a" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE}}
        )
        self.assertRejected(response, 413)
        self.assertIn("error", response.json())

    @override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
    def test_it_refuses_a_form_body_over_the_upload_limit(self) -> None:
        response = self.post_form({"password[payload]": "a" * 2000})
        self.assertRejected(response, 413)
        self.assertIn("error", response.json())

    @override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
    def test_it_refuses_a_multipart_body_over_the_upload_limit(self) -> None:
        response = self.client.post(
            "/p.json", {"password[payload]": "a" * 2000}, format="multipart"
        )
        self.assertRejected(response, 413)
        self.assertIn("error", response.json())

    def test_it_refuses_too_many_form_fields(self) -> None:
        body = "password[payload]=x&" + "&".join(
            f"password[f{i}]=1" for i in range(500)
        )
        self.assertRejected(self.post_form(body))

    def test_it_refuses_too_many_multipart_fields(self) -> None:
        data = {
            "password[payload]": "x",
            **{f"password[f{i}]": "1" for i in range(500)},
        }
        self.assertRejected(self.client.post("/p.json", data, format="multipart"))


class ContentTypeTestCase(BadInputTestCase):
    def test_it_rejects_an_empty_body(self) -> None:
        for content_type in (
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain",
        ):
            with self.subTest(content_type=content_type):
                self.assertRejected(
                    self.post_raw("", content_type), 400, MISSING_PASSWORD
                )
        self.assertRejected(self.client.post("/p.json"), 400, MISSING_PASSWORD)

    def test_it_rejects_a_garbage_content_type(self) -> None:
        body = json.dumps({"password": {"payload": "x"}})
        for content_type in (
            "application/garbage",
            "text/plain",
            "garbage",
            ";;;",
            "application/xml",
            "*/*",
        ):
            with self.subTest(content_type=content_type):
                self.assertRejected(
                    self.post_raw(body, content_type), 400, MISSING_PASSWORD
                )

    def test_it_rejects_multipart_without_a_boundary(self) -> None:
        self.assertRejected(
            self.post_raw('{"password": {"payload": "x"}}', "multipart/form-data"), 400
        )

    def test_it_accepts_json_with_a_charset(self) -> None:
        self.created(
            self.post_raw(
                json.dumps({"password": {"payload": "x"}}),
                "application/json; charset=utf-8",
            )
        )


class BadAuthHeaderTestCase(BadInputTestCase):
    def test_it_refuses_garbage_or_empty_authorization(self) -> None:
        for header in (
            "",
            " ",
            "Bearer ",
            "Bearer",
            "garbage",
            "Bearer a b c",
            "Basic Zm9vOmJhcg==",
            "x" * 5000,
        ):
            with self.subTest(header=header):
                self.assertBare401(
                    self.post_json(
                        {"password": {"payload": "x"}}, HTTP_AUTHORIZATION=header
                    )
                )

    def test_it_refuses_an_empty_or_lone_x_user_token(self) -> None:
        for headers in (
            {"HTTP_X_USER_TOKEN": ""},
            {"HTTP_X_USER_TOKEN": self.alice_token},
            {"HTTP_X_USER_EMAIL": "alice@example.com", "HTTP_X_USER_TOKEN": ""},
            {"HTTP_X_USER_EMAIL": "", "HTTP_X_USER_TOKEN": "nope"},
        ):
            with self.subTest(headers=headers):
                self.assertBare401(
                    self.post_json({"password": {"payload": "x"}}, **headers)
                )


class RoundTripTestCase(BadInputTestCase):
    PAYLOADS = [
        "£¬",
        "😀🔑👩‍👩‍👧",
        "שלום עולם",
        "مرحبا",
        "e\u0301 a\u0308 n\u0303",
        "\u200b\u200dzero width\ufeff",
        "  leading and trailing  ",
        "\n\nnewlines\r\nand\rcarriage\n",
        "\ttabs\tand \x01\x02\x1b[31m\x7f controls",
        "x ",
        "<script>&amp;\"'\\",
    ]

    def assertRoundTrip(self, response, payload: str) -> None:
        body = self.created(response)
        retrieved = self.client.get(f"/p/{body['url_token']}.json")
        self.assertEqual(retrieved.status_code, 200)
        self.assertEqual(retrieved.json()["payload"], payload)

    def test_it_returns_payloads_byte_for_byte_from_json(self) -> None:
        for payload in self.PAYLOADS:
            with self.subTest(payload=payload):
                self.assertRoundTrip(
                    self.post_json({"password": {"payload": payload}}), payload
                )

    def test_it_returns_payloads_byte_for_byte_from_a_form(self) -> None:
        for payload in self.PAYLOADS:
            with self.subTest(payload=payload):
                self.assertRoundTrip(
                    self.post_form({"password[payload]": payload}), payload
                )

    def test_it_returns_payloads_byte_for_byte_from_multipart(self) -> None:
        for payload in self.PAYLOADS:
            with self.subTest(payload=payload):
                response = self.client.post(
                    "/p.json", {"password[payload]": payload}, format="multipart"
                )
                self.assertRoundTrip(response, payload)

    def test_it_keeps_non_ascii_name_note_and_passphrase(self) -> None:
        fields = {
            "payload": "x",
            "name": "naïve — 名前",
            "note": "שלום\n",
            "passphrase": "пароль 🔑",
        }
        body = self.created(self.post_json({"password": fields}))
        self.assertEqual(
            (body["name"], body["note"], body["passphrase"]),
            (fields["name"], fields["note"], fields["passphrase"]),
        )
        retrieved = self.client.get(
            f"/p/{body['url_token']}.json", {"passphrase": fields["passphrase"]}
        )
        self.assertEqual(retrieved.status_code, 200)
        self.assertEqual(retrieved.json()["payload"], "x")

    def test_it_keeps_a_multipart_upload_name_out_of_an_anonymous_create(
        self,
    ) -> None:  # case 52
        upload = SimpleUploadedFile("ü.txt", "ü".encode(), content_type="text/plain")
        response = self.client.post(
            "/p.json",
            {"password[payload]": "x", "password[files][]": [upload]},
            format="multipart",
        )
        self.assertRejected(
            response,
            401,
            {"error": "You need to sign in or sign up before continuing."},
        )
