"""Preview and audit endpoints, what an audit entry records, and the audit cap."""

from datetime import timedelta

from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditLog
from pushes.models import PasswordPush

from .base import BaseTestCase, make_password_push
from .spec import AUDIT_KEYS as ENTRY_KEYS

INVALID_PAGE = {"error": "Invalid page parameter"}


def add_entries(
    push: PasswordPush,
    count: int,
    kind: str = AuditLog.Kind.VIEW,
    *,
    spread: bool = False,
) -> None:
    """Bulk-creates audit entries; with spread, one second apart after the existing ones."""
    AuditLog.objects.bulk_create(
        AuditLog(push=push, kind=kind, ip="192.0.2.1") for _ in range(count)
    )
    if spread:
        start = timezone.now() + timedelta(seconds=1)
        new = AuditLog.objects.for_push(push).order_by("-id")[:count]
        for offset, pk in enumerate(sorted(new.values_list("pk", flat=True))):
            AuditLog.objects.filter(pk=pk).update(
                created_at=start + timedelta(seconds=offset)
            )


def audit_count(push: PasswordPush) -> int:
    return AuditLog.objects.for_push(push).count()


class PreviewTestCase(BaseTestCase):
    def test_it_previews_without_counting_or_logging(self) -> None:  # case 77
        created = self.create({"expire_after_views": 2}, token=self.alice_token).json()
        response = self.client.get(f"/p/{created['url_token']}/preview.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"url": created["html_url"]})
        push = PasswordPush.objects.get(url_token=created["url_token"])
        self.assertEqual(
            list(AuditLog.objects.for_push(push).values_list("kind", flat=True)),
            ["creation"],
        )
        self.assertEqual(push.views_remaining, 2)
        self.assertEqual(push.payload, "testpw")

    def test_it_needs_no_passphrase_to_preview(self) -> None:  # §7.3
        push = make_password_push(passphrase="asdf", retrieval_step=False)
        response = self.client.get(f"/p/{push.url_token}/preview.json")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.json()["url"].endswith(f"/p/{push.url_token}"))
        self.assertEqual(audit_count(push), 0)

    def test_it_previews_an_expired_push(self) -> None:  # §7.3
        push = make_password_push()
        push.expire()
        response = self.client.get(f"/p/{push.url_token}/preview.json")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.json()["url"].endswith(f"/p/{push.url_token}/r"))


class AuditTestCase(BaseTestCase):
    def audit(self, url_token: str, token: str | None = None, query: str = ""):
        headers = self.auth(token or self.alice_token)
        return self.client.get(f"/p/{url_token}/audit.json{query}", **headers)

    def kinds(self, url_token: str) -> list[str]:
        return [entry["kind"] for entry in self.audit(url_token).json()["views"]]

    def test_it_lists_entries_oldest_first_with_exact_keys(self) -> None:  # case 79
        t = self.create({"expire_after_views": 2}, token=self.alice_token).json()[
            "url_token"
        ]
        for _ in range(3):
            self.client.get(f"/p/{t}.json")
        response = self.audit(t)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(set(response.json()), {"views"})
        views = response.json()["views"]
        self.assertEqual(
            [entry["kind"] for entry in views],
            ["creation", "view", "view", "failed_view"],
        )
        for entry in views:
            self.assertEqual(set(entry), ENTRY_KEYS)
            self.assertEqual(entry["ip"], "127.0.0.1")
            self.assertEqual(entry["user_agent"], "")
            self.assertEqual(entry["referrer"], "")
        created = [entry["created_at"] for entry in views]
        self.assertEqual(created, sorted(created))

    def test_it_logs_the_life_of_a_passphrase_push(self) -> None:  # case 80
        t = self.create(
            {"expire_after_views": 3, "passphrase": "asdf"}, token=self.alice_token
        ).json()["url_token"]
        self.client.get(f"/p/{t}.json", {"passphrase": "asdf"})
        self.client.get(f"/p/{t}.json", {"passphrase": "asdf"})
        self.client.get(f"/p/{t}.json")
        self.client.delete(f"/p/{t}.json", **self.auth(self.alice_token))
        self.client.get(f"/p/{t}.json")
        self.client.get(f"/p/{t}.json")
        self.assertEqual(
            self.kinds(t),
            [
                "creation",
                "view",
                "view",
                "failed_passphrase",
                "expire",
                "failed_view",
                "failed_view",
            ],
        )

    def test_it_refuses_anonymous_callers_even_for_unknown_tokens(
        self,
    ) -> None:  # case 81
        t = self.create(token=self.alice_token).json()["url_token"]
        for path in (f"/p/{t}/audit.json", "/p/nosuchtoken0000/audit.json"):
            response = self.client.get(path)
            self.assertEqual(response.status_code, 401)
            self.assertEqual(response.content, b"")

    def test_it_refuses_another_user(self) -> None:  # case 82
        t = self.create(token=self.alice_token).json()["url_token"]
        response = self.audit(t, self.bob_token)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json(), {"error": "That push doesn't belong to you."})

    def test_it_refuses_an_admin(self) -> None:  # §7.4
        t = self.create(token=self.alice_token).json()["url_token"]
        response = self.audit(t, self.root_token)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json(), {"error": "That push doesn't belong to you."})

    def test_it_refuses_the_audit_of_an_anonymous_push(self) -> None:  # case 83
        t = self.create().json()["url_token"]
        response = self.audit(t, self.alice_token)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json(), {"error": "That push doesn't belong to you."})

    def test_it_answers_unknown_tokens_with_not_found(self) -> None:  # case 86
        response = self.audit("nosuchtoken0000", self.alice_token)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json(), {"error": "not-found"})

    def test_it_writes_no_entry_for_itself(self) -> None:  # §7.4
        t = self.create(token=self.alice_token).json()["url_token"]
        self.audit(t)
        self.audit(t)
        self.assertEqual(self.kinds(t), ["creation"])


class AuditPagingTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.t = self.create(token=self.alice_token).json()["url_token"]
        add_entries(PasswordPush.objects.get(url_token=self.t), 60, spread=True)

    def page(self, query: str):
        return self.client.get(
            f"/p/{self.t}/audit.json{query}", **self.auth(self.alice_token)
        )

    def test_it_pages_by_fifty(self) -> None:  # case 84
        first = self.page("?page=1").json()["views"]
        second = self.page("?page=2").json()["views"]
        self.assertEqual(len(first), 50)
        self.assertEqual(len(second), 11)
        self.assertEqual(first[0]["kind"], "creation")
        self.assertFalse(
            {e["created_at"] for e in first} & {e["created_at"] for e in second}
        )
        self.assertLess(first[-1]["created_at"], second[0]["created_at"])
        third = self.page("?page=3")
        self.assertEqual(third.status_code, 200)
        self.assertEqual(third.json(), {"views": []})

    def test_it_defaults_to_page_one(self) -> None:  # §7.6.2
        self.assertEqual(self.page("").json(), self.page("?page=1").json())

    def test_it_refuses_invalid_pages(self) -> None:  # case 85, §7.6.2
        for query in (
            "?page=invalid",
            "?page=201",
            "?page=abc",
            "?page=1.5",
            "?page=",
            "?page[]=1",
            "?page%5B%5D=1",
        ):
            response = self.page(query)
            self.assertEqual(response.status_code, 400, query)
            self.assertEqual(response.json(), INVALID_PAGE, query)

    def test_it_treats_pages_below_one_as_page_one(self) -> None:  # case 85
        first = self.page("?page=1").json()
        for query in ("?page=0", "?page=-1"):
            response = self.page(query)
            self.assertEqual(response.status_code, 200, query)
            self.assertEqual(response.json(), first, query)

    def test_it_accepts_signs_and_surrounding_whitespace(self) -> None:  # §7.6.2
        second = self.page("?page=2").json()
        self.assertEqual(len(second["views"]), 11)
        for query in ("?page=%2B2", "?page=+2", "?page=%202%20", "?page=2%20"):
            response = self.page(query)
            self.assertEqual(response.status_code, 200, query)
            self.assertEqual(response.json(), second, query)
        response = self.page("?page=%2B3")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"views": []})

    def test_it_accepts_page_200(self) -> None:  # §7.6.2, §10
        response = self.page("?page=200")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"views": []})


class AuditEntryTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.push = make_password_push(user=self.alice)

    def last_entry(self) -> dict:
        views = self.client.get(
            f"/p/{self.push.url_token}/audit.json", **self.auth(self.alice_token)
        ).json()["views"]
        return views[-1]

    def test_it_cuts_user_agent_and_referrer_to_255_characters(self) -> None:  # §10
        agent = "A" * 254 + "BCDEF"
        referrer = "https://example.com/" + "r" * 300
        self.client.get(
            f"/p/{self.push.url_token}.json",
            HTTP_USER_AGENT=agent,
            HTTP_REFERER=referrer,
        )
        entry = self.last_entry()
        self.assertEqual(entry["user_agent"], agent[:255])
        self.assertEqual(entry["referrer"], referrer[:255])

    def test_it_records_user_agent_and_referrer(self) -> None:  # §10
        self.client.get(
            f"/p/{self.push.url_token}.json",
            HTTP_USER_AGENT="curl/8.5.0",
            HTTP_REFERER="https://x.test/",
        )
        entry = self.last_entry()
        self.assertEqual(entry["user_agent"], "curl/8.5.0")
        self.assertEqual(entry["referrer"], "https://x.test/")

    def test_it_ignores_forwarded_for_without_trusted_proxies(
        self,
    ) -> None:  # §10, §6.4
        self.assertEqual(settings.TRUSTED_PROXIES, [])
        self.client.get(
            f"/p/{self.push.url_token}.json", HTTP_X_FORWARDED_FOR="203.0.113.7"
        )
        self.assertEqual(self.last_entry()["ip"], "127.0.0.1")

    @override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
    def test_it_ignores_forwarded_for_from_an_untrusted_peer(self) -> None:
        self.client.get(
            f"/p/{self.push.url_token}.json", HTTP_X_FORWARDED_FOR="203.0.113.7"
        )
        self.assertEqual(self.last_entry()["ip"], "127.0.0.1")

    @override_settings(TRUSTED_PROXIES=["127.0.0.1"])
    def test_it_believes_forwarded_for_from_a_trusted_proxy(self) -> None:
        self.client.get(
            f"/p/{self.push.url_token}.json", HTTP_X_FORWARDED_FOR="203.0.113.7"
        )
        self.assertEqual(self.last_entry()["ip"], "203.0.113.7")

    @override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
    def test_it_takes_the_right_most_untrusted_hop(self) -> None:
        self.client.get(
            f"/p/{self.push.url_token}.json",
            REMOTE_ADDR="10.1.2.3",
            HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.7, 10.0.0.5",
        )
        self.assertEqual(self.last_entry()["ip"], "203.0.113.7")

    def test_it_picks_up_trusted_proxies_overridden_after_the_client_was_used(
        self,
    ) -> None:
        client = APIClient()
        client.get(
            f"/p/{self.push.url_token}/preview.json"
        )  # builds the client's middleware chain
        with override_settings(TRUSTED_PROXIES=["127.0.0.1"]):
            client.get(
                f"/p/{self.push.url_token}.json", HTTP_X_FORWARDED_FOR="203.0.113.7"
            )
        self.assertEqual(self.last_entry()["ip"], "203.0.113.7")


class AuditCapTestCase(BaseTestCase):
    """At most AUDIT_LOG_CAP entries per push; a counted view that can't be logged fails closed (§9.1, §10)."""

    def setUp(self) -> None:
        super().setUp()
        self.cap = settings.AUDIT_LOG_CAP
        self.push = make_password_push(user=self.alice, expire_after_views=5)
        self.url = f"/p/{self.push.url_token}.json"

    def test_it_defaults_the_cap_to_2000(self) -> None:
        self.assertEqual(self.cap, 2000)

    def test_it_never_writes_past_the_cap(self) -> None:
        add_entries(self.push, self.cap - 1)
        self.assertEqual(self.client.get(self.url).json()["payload"], "testpw")
        self.assertEqual(audit_count(self.push), self.cap)
        self.client.get(self.url)
        self.client.get(self.url, **self.auth(self.alice_token))
        self.client.get(self.url, **self.auth(self.root_token))
        self.client.delete(self.url, **self.auth(self.alice_token))
        self.client.get(self.url)
        self.assertEqual(audit_count(self.push), self.cap)

    def test_it_fails_closed_when_a_counted_view_cannot_be_logged(self) -> None:
        add_entries(self.push, self.cap)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertIs(response.json()["expired"], True)
        self.assertIsNone(response.json()["payload"])
        self.assertNotIn(b"testpw", response.content)
        self.push.refresh_from_db()
        self.assertIs(self.push.expired, True)
        self.assertIsNone(self.push.payload)
        self.assertEqual(audit_count(self.push), self.cap)

    def test_it_fails_closed_for_an_authenticated_non_owner_too(self) -> None:
        add_entries(self.push, self.cap)
        response = self.client.get(self.url, **self.auth(self.bob_token))
        self.assertIsNone(response.json()["payload"])
        self.push.refresh_from_db()
        self.assertIs(self.push.expired, True)

    def test_it_still_delivers_to_owner_and_admin_when_full(self) -> None:
        add_entries(self.push, self.cap)
        for token in (self.alice_token, self.root_token):
            response = self.client.get(self.url, **self.auth(token))
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.json()["payload"], "testpw")
        self.push.refresh_from_db()
        self.assertIs(self.push.expired, False)
        self.assertEqual(audit_count(self.push), self.cap)
