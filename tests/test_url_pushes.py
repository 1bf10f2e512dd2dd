"""URL pushes (/r): the /r conformance cases of spec §17, safe targets, and one token under every prefix."""

from django.test import override_settings

from audit.models import AuditLog
from pushes.models import PasswordPush
from urls.models import UrlPush
from urls.validation import MAX_URL_LENGTH

from .base import BaseTestCase, make_password_push
from .spec import CREATE_KEYS

INVALID = {"payload": ["must be a valid HTTP or HTTPS URL."]}


def make_url_push(**overrides) -> UrlPush:
    values = {
        "payload": "https://the0x00.dev",
        "expire_after_days": 7,
        "expire_after_views": 5,
    }
    values.update(overrides)
    push = UrlPush(**values)
    push.save()
    return push


class CreateUrlPushTestCase(BaseTestCase):
    def post_url(self, payload: str, token: str | None = None, **fields):
        headers = self.auth(token or self.alice_token)
        return self.client.post(
            "/r.json",
            {"url[payload]": payload, **{f"url[{k}]": v for k, v in fields.items()}},
            **headers,
        )

    def test_it_creates_with_a_token(self) -> None:  # case 41
        response = self.post_url("https://the0x00.dev")
        self.assertEqual(response.status_code, 201)
        body = response.json()
        self.assertEqual(set(body), CREATE_KEYS)
        self.assertIsNone(body["deletable_by_viewer"])
        self.assertEqual(
            (body["expire_after_days"], body["expire_after_views"]), (7, 5)
        )
        self.assertIs(body["retrieval_step"], True)
        push = UrlPush.objects.get(url_token=body["url_token"])
        self.assertEqual(push.user, self.alice)
        self.assertEqual(push.payload, "https://the0x00.dev")

    def test_it_refuses_anonymous_creation_with_an_empty_401(self) -> None:  # case 42
        response = self.client.post("/r.json", {"url[payload]": "https://example.com"})
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.content, b"")
        self.assertEqual(UrlPush.objects.count(), 0)

    def test_it_needs_the_url_key(self) -> None:  # case 43
        response = self.client.post("/r.json", {}, **self.auth(self.alice_token))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json(),
            {"error": "param is missing or the value is empty or invalid: url"},
        )

    def test_it_ignores_deletable_by_viewer(self) -> None:  # case 44
        response = self.post_url("https://example.com", deletable_by_viewer="true")
        self.assertIsNone(response.json()["deletable_by_viewer"])
        self.assertIsNone(UrlPush.objects.get().deletable_by_viewer)

    def test_it_ignores_kind_on_r(self) -> None:
        response = self.post_url("https://example.com", kind="text")
        self.assertEqual(response.status_code, 201)
        self.assertTrue(
            UrlPush.objects.filter(url_token=response.json()["url_token"]).exists()
        )

    def test_it_creates_anonymously_through_p_with_kind_url(self) -> None:  # case 45
        response = self.client.post(
            "/p.json",
            {"password": {"kind": "url", "payload": "https://the0x00.dev"}},
            format="json",
        )
        self.assertEqual(response.status_code, 201)
        push = UrlPush.objects.get(url_token=response.json()["url_token"])
        self.assertIsNone(push.user)
        self.assertIsNone(response.json()["deletable_by_viewer"])
        self.assertFalse(PasswordPush.objects.exists())

    def test_it_accepts_only_http_and_https(self) -> None:  # case 46
        for payload in ("ftp://example.com", "javascript:alert(1)", "data:text/html,x"):
            with self.subTest(payload=payload):
                response = self.post_url(payload)
                self.assertEqual(response.status_code, 422)
                self.assertEqual(response.json(), INVALID)
        self.assertEqual(self.post_url("http://example.com").status_code, 201)
        self.assertEqual(UrlPush.objects.count(), 1)

    @override_settings(ENABLE_URL_PUSHES=False)
    def test_it_has_no_routes_when_disabled(self) -> None:  # case 47
        response = self.post_url("https://example.com")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json(), {"status": 404, "error": "Not Found"})
        response = self.client.post(
            "/p.json",
            {"password": {"kind": "url", "payload": "https://x.org"}},
            format="json",
            **self.auth(self.alice_token),
        )
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json(), {"kind": ["URL pushes are disabled."]})
        self.assertEqual(UrlPush.objects.count(), 0)


class UnsafeTargetTestCase(BaseTestCase):
    """Every disguise of a non-http(s) target is refused, and nothing is stored."""

    UNSAFE = [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "JAVASCRIPT:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "mailto:a@example.com",
        "ftp://example.com",
        "/relative/path",
        "relative/path",
        "?q=1",
        "#frag",
        "//evil.example/x",
        "\\\\evil.example\\x",
        " https://example.com",
        "https://example.com ",
        "\thttps://example.com",
        "\nhttps://example.com",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "java\x00script:alert(1)",
        "\x01javascript:alert(1)",
        "https://exa mple.com",
        "https://example.com/a b",
        "https://example.com/\r\nSet-Cookie:x",
        "https://e\u200bxample.com",
        "\u202ehttps://example.com",
        "https://example.com\u00a0",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript:alert(1)",
        "&colon;javascript:alert(1)",
        "javascript&colon;alert(1)",
        "%6Aavascript:alert(1)",
        "javascript%3Aalert(1)",
        "%20https://example.com",
        "https:example.com",
        "https:/example.com",
        "http:\\\\example.com",
        "https:///example.com",
        "http://user:pass@",
        "http://user@",
        "https://",
        "http://:80",
        "https://example.com:notaport/",
        "https://example.com:99999/",
        "https://exa%6Dple.com",
        "https://evil.example\\@good.example",
        "https://a..b",
        "https://-bad-.example",
        "javascript://example.com/%0Aalert(1)",
        "http://\u3164.com",
        "http://\u115f\u1160.example",
        "http://x.com\u2044@evil.example",
        "https://good.example\u2215@evil.example",
        "https://good.example\uff0f@evil.example",
        "https://accounts.google.com@evil.example/",
        "https://[1::2]:443@evil.example/",
        "http://2130706433/",
        "https://999.1.1.1/",
        "https://[v1.x]/",
        "https://[fe80::1%25eth0]/",
        "https://xn--zz.com/",
        "https://[127.0.0.1]/",
    ]
    SAFE = [
        "https://the0x00.dev",
        "http://example.com",
        "HTTPS://EXAMPLE.COM/Path?q=1#f",
        "Http://example.com",
        "https://bücher.de/straße",
        "https://例え.テスト/パス",
        "https://xn--bcher-kva.de",
        "http://[::1]:8080/x",
        "http://127.0.0.1:3000",
        "https://user:token@git.example.com/repo.git",
        "https://example.com/%20encoded",
        "http://localhost/",
        "https://sub_domain.example.com/",
    ]

    def test_it_refuses_every_unsafe_target(self) -> None:
        for payload in self.UNSAFE:
            with self.subTest(payload=payload):
                response = self.client.post(
                    "/r.json",
                    {"url": {"payload": payload}},
                    format="json",
                    **self.auth(self.alice_token),
                )
                self.assertEqual(response.status_code, 422)
                self.assertEqual(response.json(), INVALID)
        self.assertEqual(UrlPush.objects.count(), 0)

    def test_it_refuses_unsafe_targets_through_p_too(self) -> None:
        for payload in ("javascript:alert(1)", "//evil.example", "data:text/html,x"):
            with self.subTest(payload=payload):
                response = self.client.post(
                    "/p.json",
                    {"password": {"kind": "url", "payload": payload}},
                    format="json",
                )
                self.assertEqual(response.status_code, 422)
        self.assertEqual(UrlPush.objects.count(), 0)

    def test_it_accepts_real_http_targets(self) -> None:
        for payload in self.SAFE:
            with self.subTest(payload=payload):
                response = self.client.post(
                    "/r.json",
                    {"url": {"payload": payload}},
                    format="json",
                    **self.auth(self.alice_token),
                )
                self.assertEqual(response.status_code, 201, response.content)
                token = response.json()["url_token"]
                self.assertEqual(
                    self.client.get(f"/r/{token}.json").json()["payload"], payload
                )

    def test_it_refuses_empty_and_overlong_urls(self) -> None:
        for payload in ("", "   ", "\n"):
            with self.subTest(payload=payload):
                response = self.client.post(
                    "/r.json",
                    {"url": {"payload": payload}},
                    format="json",
                    **self.auth(self.alice_token),
                )
                self.assertEqual(response.status_code, 422)
                self.assertEqual(response.json(), {"payload": ["Payload is required."]})
        longest = "https://example.com/" + "a" * (MAX_URL_LENGTH - 20)
        too_long = longest + "a"
        response = self.client.post(
            "/r.json",
            {"url": {"payload": too_long}},
            format="json",
            **self.auth(self.alice_token),
        )
        self.assertEqual(response.status_code, 422)
        self.assertIn("too long", response.json()["payload"][0])
        self.assertEqual(UrlPush.objects.count(), 0)
        response = self.client.post(
            "/r.json",
            {"url": {"payload": longest}},
            format="json",
            **self.auth(self.alice_token),
        )
        self.assertEqual(response.status_code, 201)


class UrlPushLifecycleTestCase(BaseTestCase):
    def test_it_returns_the_url_as_payload_until_views_run_out(self) -> None:  # case 65
        push = make_url_push(user=self.alice, expire_after_views=2)
        for remaining in (1, 0):
            body = self.client.get(f"/r/{push.url_token}.json").json()
            self.assertEqual(body["payload"], "https://the0x00.dev")
            self.assertIsNone(body["deletable_by_viewer"])
            self.assertEqual(body["views_remaining"], remaining)
            self.assertEqual(body["files"], [])
        body = self.client.get(
            f"/r/{push.url_token}.json", **self.auth(self.alice_token)
        ).json()
        self.assertIs(body["expired"], True)
        self.assertIsNone(body["payload"])
        push.refresh_from_db()
        self.assertIsNone(push.payload)

    def test_it_lets_only_the_owner_expire(self) -> None:  # case 91
        push = make_url_push(user=self.alice)
        response = self.client.delete(f"/r/{push.url_token}.json")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(
            response.json(), {"error": "That push is not deletable by viewers."}
        )
        response = self.client.delete(
            f"/r/{push.url_token}.json", **self.auth(self.bob_token)
        )
        self.assertEqual(response.status_code, 401)
        push.refresh_from_db()
        self.assertIs(push.expired, False)
        response = self.client.delete(
            f"/r/{push.url_token}.json", **self.auth(self.alice_token)
        )
        self.assertEqual(response.status_code, 200)
        self.assertIs(response.json()["deleted"], True)
        self.assertIsNone(response.json()["deletable_by_viewer"])

    def test_it_previews_under_r(self) -> None:  # case 78
        push = make_url_push(user=self.alice)
        response = self.client.get(
            f"/r/{push.url_token}/preview.json", **self.auth(self.alice_token)
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn(push.url_token, response.json()["url"])
        self.assertTrue(response.json()["url"].endswith(f"/p/{push.url_token}/r"))

    def test_it_needs_a_passphrase_like_text_pushes(self) -> None:
        push = make_url_push(passphrase="asdf")
        self.assertEqual(self.client.get(f"/r/{push.url_token}.json").status_code, 401)
        body = self.client.get(f"/r/{push.url_token}.json?passphrase=asdf").json()
        self.assertEqual(body["payload"], "https://the0x00.dev")


class AnyPrefixTestCase(BaseTestCase):
    """One token reaches its push under /p, /f and /r (spec §1; the CLI audits and expires via /p)."""

    def test_it_retrieves_every_kind_under_every_prefix(self) -> None:  # case 66
        for push in (
            make_password_push(expire_after_views=10),
            make_url_push(expire_after_views=10),
        ):
            for prefix in ("p", "f", "r"):
                with self.subTest(kind=type(push).__name__, prefix=prefix):
                    response = self.client.get(f"/{prefix}/{push.url_token}.json")
                    self.assertEqual(response.status_code, 200)
                    self.assertEqual(response.json()["payload"], push.payload)
                    self.assertEqual(
                        self.client.get(
                            f"/{prefix}/{push.url_token}/preview.json"
                        ).status_code,
                        200,
                    )

    def test_it_audits_every_kind_under_every_prefix(self) -> None:
        for push in (
            make_password_push(user=self.alice),
            make_url_push(user=self.alice),
        ):
            AuditLog.objects.record(None, push, AuditLog.Kind.CREATION)
            for prefix in ("p", "f", "r"):
                with self.subTest(kind=type(push).__name__, prefix=prefix):
                    response = self.client.get(
                        f"/{prefix}/{push.url_token}/audit.json",
                        **self.auth(self.alice_token),
                    )
                    self.assertEqual(response.status_code, 200)
                    self.assertEqual(
                        [e["kind"] for e in response.json()["views"]], ["creation"]
                    )
                    response = self.client.get(
                        f"/{prefix}/{push.url_token}/audit.json",
                        **self.auth(self.bob_token),
                    )
                    self.assertEqual(response.status_code, 403)

    def test_it_expires_every_kind_under_every_prefix(self) -> None:
        for prefix in ("p", "f", "r"):
            for push in (
                make_password_push(user=self.alice),
                make_url_push(user=self.alice),
            ):
                with self.subTest(kind=type(push).__name__, prefix=prefix):
                    response = self.client.delete(
                        f"/{prefix}/{push.url_token}.json",
                        **self.auth(self.alice_token),
                    )
                    self.assertEqual(response.status_code, 200)
                    push.refresh_from_db()
                    self.assertIs(push.expired, True)
                    self.assertIsNone(push.payload)
                    self.assertEqual(
                        AuditLog.objects.for_push(push).filter(kind="expire").count(), 1
                    )

    def test_it_answers_not_found_for_unknown_tokens_under_every_prefix(self) -> None:
        for prefix in ("p", "f", "r"):
            with self.subTest(prefix=prefix):
                self.assertEqual(
                    self.client.get(f"/{prefix}/nosuchtoken123.json").json(),
                    {"error": "not-found"},
                )

    def test_it_keeps_tokens_unique_across_kinds(self) -> None:
        tokens = {make_password_push().url_token for _ in range(20)} | {
            make_url_push().url_token for _ in range(20)
        }
        self.assertEqual(len(tokens), 40)
        text = make_password_push()
        clash = UrlPush(
            payload="https://x.org",
            expire_after_days=7,
            expire_after_views=5,
            url_token=text.url_token,
        )
        clash.save()  # a token taken by another kind is still found under the prefix's own kind first
        self.assertEqual(
            self.client.get(f"/p/{text.url_token}.json").json()["payload"], "testpw"
        )
        self.assertEqual(
            self.client.get(f"/r/{text.url_token}.json").json()["payload"],
            "https://x.org",
        )


class UrlPushListTestCase(BaseTestCase):
    def test_it_lists_kinds_per_prefix(
        self,
    ) -> None:  # case 99 (text and URL; files arrive with /f)
        text = make_password_push(user=self.alice)
        url = make_url_push(user=self.alice)
        make_url_push(user=self.bob)

        def tokens(path: str) -> list[str]:
            response = self.client.get(path, **self.auth(self.alice_token))
            return [item["url_token"] for item in response.json()]

        self.assertEqual(set(tokens("/p/active.json")), {text.url_token, url.url_token})
        self.assertEqual(tokens("/r/active.json"), [url.url_token])
        self.assertEqual(tokens("/f/active.json"), [])

    def test_it_needs_a_token_for_lists(self) -> None:  # case 96
        for path in (
            "/r/active.json",
            "/r/expired.json",
            "/f/active.json",
            "/f/expired.json",
        ):
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, 401)
                self.assertEqual(response.content, b"")

    def test_it_lists_expired_url_pushes_under_r(self) -> None:
        url = make_url_push(user=self.alice)
        self.client.delete(f"/r/{url.url_token}.json", **self.auth(self.alice_token))
        items = self.client.get("/r/expired.json", **self.auth(self.alice_token)).json()
        self.assertEqual([item["url_token"] for item in items], [url.url_token])
        self.assertIs(items[0]["deleted"], True)
        self.assertIsNone(items[0]["deletable_by_viewer"])
