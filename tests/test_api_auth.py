"""Version and authentication: spec §4, §7.7 and conformance cases 1–16."""

from django.test import override_settings

from audit.models import AuditLog
from pushes.models import PasswordPush

from .base import BaseTestCase, make_password_push

ROUTE_NOT_FOUND = {"status": 404, "error": "Not Found"}
MFA_REQUIRED = {
    "error": "Two-factor authentication is required. Please set it up to continue."
}


class AuthTestCase(BaseTestCase):
    def active_tokens(self, response) -> list[str]:
        self.assertEqual(response.status_code, 200)
        return [item["url_token"] for item in response.json()]

    def assertBare401(self, response) -> None:
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.content, b"")


class VersionTestCase(AuthTestCase):
    def test_it_answers_version_with_and_without_the_json_suffix(
        self,
    ) -> None:  # case 1
        for path in ("/api/v1/version.json", "/api/v1/version"):
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 200)
                body = response.json()
                self.assertEqual(
                    set(body), {"application_version", "api_version", "edition"}
                )
                self.assertIsInstance(body["application_version"], str)
                self.assertEqual(body["api_version"], "1.5")
                self.assertEqual(body["edition"], "oss")

    def test_it_ignores_a_bad_token_on_version(self) -> None:  # case 2
        response = self.client.get(
            "/api/v1/version.json", HTTP_AUTHORIZATION="Bearer invalid"
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["api_version"], "1.5")

    def test_it_ignores_a_lone_x_user_token_on_version(self) -> None:
        response = self.client.get("/api/v1/version.json", HTTP_X_USER_TOKEN="wrong")
        self.assertEqual(response.status_code, 200)

    @override_settings(ALLOW_ANONYMOUS=False)
    def test_it_keeps_version_public_without_anonymous_access(self) -> None:  # case 3
        response = self.client.get("/api/v1/version.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["api_version"], "1.5")

    def test_it_answers_404_for_api_v2_version(self) -> None:
        # the official CLI switches to v2 when this answers 200 (spec §13)
        for path in ("/api/v2/version", "/api/v2/version.json"):
            with self.subTest(path=path):
                self.assertEqual(self.client.get(path).status_code, 404)


class TokenAuthenticationTestCase(AuthTestCase):
    def test_it_accepts_a_bearer_token(self) -> None:  # case 4
        push = make_password_push(user=self.alice)
        response = self.client.get("/p/active.json", **self.auth(self.alice_token))
        self.assertEqual(response.status_code, 200)
        self.assertIsInstance(response.json(), list)
        self.assertEqual(self.active_tokens(response), [push.url_token])

    def test_it_accepts_the_header_pair_without_checking_the_email(
        self,
    ) -> None:  # case 5
        push = make_password_push(user=self.alice)
        response = self.client.get(
            "/p/active.json",
            HTTP_X_USER_EMAIL="anything@x",
            HTTP_X_USER_TOKEN=self.alice_token,
        )
        self.assertEqual(self.active_tokens(response), [push.url_token])

    def test_it_refuses_the_header_pair_with_a_wrong_token(self) -> None:  # case 6
        response = self.client.get(
            "/p/active.json",
            HTTP_X_USER_EMAIL="alice@example.com",
            HTTP_X_USER_TOKEN="wrong",
        )
        self.assertBare401(response)

    def test_it_refuses_x_user_token_alone(self) -> None:  # case 7
        response = self.client.get("/p/active.json", HTTP_X_USER_TOKEN=self.alice_token)
        self.assertBare401(response)

    def test_it_treats_x_user_email_alone_as_anonymous(self) -> None:  # case 7
        response = self.client.get(
            "/p/active.json", HTTP_X_USER_EMAIL="alice@example.com"
        )
        self.assertBare401(response)
        # anonymous, not a bad credential: a public endpoint still answers
        push = make_password_push()
        response = self.client.get(
            f"/p/{push.url_token}/preview.json", HTTP_X_USER_EMAIL="alice@example.com"
        )
        self.assertEqual(response.status_code, 200)

    def test_it_takes_the_last_word_of_authorization(self) -> None:  # case 8
        push = make_password_push(user=self.alice)
        for header in (
            self.alice_token,
            f"Bearer    {self.alice_token}",
            f"Token {self.alice_token}",
            f"Basic {self.alice_token}",
        ):
            with self.subTest(header=header):
                response = self.client.get("/p/active.json", HTTP_AUTHORIZATION=header)
                self.assertEqual(self.active_tokens(response), [push.url_token])

    def test_it_refuses_a_bearer_without_a_token(self) -> None:  # case 9
        self.assertBare401(
            self.client.get("/p/active.json", HTTP_AUTHORIZATION="Bearer ")
        )

    def test_it_refuses_an_empty_authorization_header(self) -> None:
        self.assertBare401(self.client.get("/p/active.json", HTTP_AUTHORIZATION=""))

    def test_it_refuses_a_garbage_authorization_header(self) -> None:
        for header in ("garbage", "Bearer garbage", "   ", "Bearer \u00e9\u00e9"):
            with self.subTest(header=header):
                self.assertBare401(
                    self.client.get("/p/active.json", HTTP_AUTHORIZATION=header)
                )

    def test_it_prefers_the_header_pair_over_authorization(self) -> None:  # case 10
        alices = make_password_push(user=self.alice)
        make_password_push(user=self.bob)
        response = self.client.get(
            "/p/active.json",
            HTTP_X_USER_EMAIL="bob@example.com",
            HTTP_X_USER_TOKEN=self.alice_token,
            HTTP_AUTHORIZATION=f"Bearer {self.bob_token}",
        )
        self.assertEqual(self.active_tokens(response), [alices.url_token])

    def test_it_refuses_a_create_with_a_bad_token(self) -> None:  # case 11
        response = self.client.post(
            "/p.json",
            "password[payload]=x",
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION="Bearer 0000bad",
        )
        self.assertBare401(response)
        self.assertEqual(PasswordPush.objects.count(), 0)

    def test_it_refuses_a_retrieve_with_a_bad_token(self) -> None:  # case 12
        push = make_password_push()
        self.assertBare401(
            self.client.get(
                f"/p/{push.url_token}.json", HTTP_AUTHORIZATION="Bearer invalid"
            )
        )
        push.refresh_from_db()
        self.assertEqual(push.views_remaining, 5)
        self.assertEqual(AuditLog.objects.for_push(push).count(), 0)

    def test_it_refuses_a_preview_with_a_bad_token(self) -> None:  # case 12
        push = make_password_push()
        self.assertBare401(
            self.client.get(
                f"/p/{push.url_token}/preview.json", HTTP_AUTHORIZATION="Bearer invalid"
            )
        )

    def test_it_refuses_bad_credentials_even_where_anonymous_callers_are_welcome(
        self,
    ) -> None:  # cases 6, 7, 9
        push = make_password_push()
        for headers in (
            {"HTTP_X_USER_EMAIL": "alice@example.com", "HTTP_X_USER_TOKEN": "wrong"},
            {"HTTP_X_USER_TOKEN": self.alice_token},
            {"HTTP_X_USER_TOKEN": ""},
            {"HTTP_AUTHORIZATION": "Bearer "},
            {"HTTP_AUTHORIZATION": ""},
            {"HTTP_AUTHORIZATION": "garbage"},
        ):
            with self.subTest(headers=headers):
                self.assertBare401(
                    self.client.get(f"/p/{push.url_token}/preview.json", **headers)
                )
                self.assertBare401(
                    self.client.get(f"/p/{push.url_token}.json", **headers)
                )
        push.refresh_from_db()
        self.assertEqual(push.views_remaining, 5)

    def test_it_refuses_a_delete_with_a_bad_token(self) -> None:
        push = make_password_push()
        self.assertBare401(
            self.client.delete(
                f"/p/{push.url_token}.json", HTTP_AUTHORIZATION="Bearer invalid"
            )
        )
        push.refresh_from_db()
        self.assertIs(push.expired, False)

    def test_it_creates_no_session_from_a_token(self) -> None:  # case 13
        self.assertEqual(
            self.client.get(
                "/p/active.json", **self.auth(self.alice_token)
            ).status_code,
            200,
        )
        self.assertBare401(self.client.get("/p/active.json"))

    def test_it_refuses_an_inactive_user(self) -> None:
        make_password_push(user=self.alice)
        self.alice.is_active = False
        self.alice.save()
        self.assertEqual(
            self.client.get(
                "/p/active.json", **self.auth(self.alice_token)
            ).status_code,
            401,
        )
        response = self.client.post(
            "/p.json",
            {"password": {"payload": "x"}},
            format="json",
            **self.auth(self.alice_token),
        )
        self.assertEqual(response.status_code, 401)
        self.assertEqual(PasswordPush.objects.count(), 1)


@override_settings(REQUIRE_MFA=True)
class RequireMfaTestCase(AuthTestCase):
    def test_it_refuses_a_user_without_two_factor(self) -> None:  # case 14
        response = self.client.get("/p/active.json", **self.auth(self.alice_token))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json(), MFA_REQUIRED)

    def test_it_refuses_a_create_by_a_user_without_two_factor(self) -> None:
        response = self.create(token=self.alice_token)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json(), MFA_REQUIRED)
        self.assertEqual(PasswordPush.objects.count(), 0)

    def test_it_lets_a_user_with_two_factor_through(self) -> None:
        self.alice.two_factor_enabled = True
        self.alice.save()
        self.assertEqual(
            self.client.get(
                "/p/active.json", **self.auth(self.alice_token)
            ).status_code,
            200,
        )

    def test_it_keeps_version_open(self) -> None:
        response = self.client.get(
            "/api/v1/version.json", **self.auth(self.alice_token)
        )
        self.assertEqual(response.status_code, 200)


@override_settings(ALLOW_ANONYMOUS=False)
class NoAnonymousTestCase(AuthTestCase):
    def test_it_refuses_an_anonymous_create(self) -> None:  # case 15
        self.assertBare401(self.create())
        self.assertEqual(PasswordPush.objects.count(), 0)

    def test_it_accepts_an_authenticated_create(self) -> None:  # case 15
        response = self.create(token=self.alice_token)
        self.assertEqual(response.status_code, 201)
        self.assertNotEqual(response.json()["url_token"], "")
        self.assertEqual(PasswordPush.objects.get().user, self.alice)

    def test_it_refuses_an_anonymous_retrieve(self) -> None:  # case 16
        push = make_password_push()
        self.assertBare401(self.client.get(f"/p/{push.url_token}.json"))
        push.refresh_from_db()
        self.assertEqual(push.views_remaining, 5)

    def test_it_refuses_anonymous_preview_and_delete(self) -> None:
        push = make_password_push()
        self.assertBare401(self.client.get(f"/p/{push.url_token}/preview.json"))
        self.assertBare401(self.client.delete(f"/p/{push.url_token}.json"))
        push.refresh_from_db()
        self.assertIs(push.expired, False)

    def test_it_lets_a_token_retrieve(self) -> None:
        push = make_password_push()
        response = self.client.get(
            f"/p/{push.url_token}.json", **self.auth(self.bob_token)
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["payload"], "testpw")


class UnknownRouteTestCase(AuthTestCase):
    def test_it_answers_unsupported_methods_and_paths_with_the_route_not_found(
        self,
    ) -> None:
        push = make_password_push()
        t = push.url_token
        requests = [
            ("put", f"/p/{t}.json"),
            ("patch", f"/p/{t}.json"),
            ("post", f"/p/{t}.json"),
            ("put", "/p/x.json"),
            ("get", "/p.json"),
            ("delete", "/p.json"),
            ("get", f"/p/{t}/edit.json"),
            ("get", "/nothing/here.json"),
        ]
        for method, path in requests:
            with self.subTest(method=method, path=path):
                response = getattr(self.client, method)(path)
                self.assertEqual(response.status_code, 404)
                self.assertEqual(response.json(), ROUTE_NOT_FOUND)
        push.refresh_from_db()
        self.assertIs(push.expired, False)

    def test_it_answers_p_new_json_as_an_unknown_token(self) -> None:
        response = self.client.get("/p/new.json")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json(), {"error": "not-found"})
