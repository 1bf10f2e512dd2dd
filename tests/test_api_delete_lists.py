"""DELETE /p/<t>.json and the owner's /p/active.json and /p/expired.json lists."""

from datetime import timedelta

from django.utils import timezone

from audit.models import AuditLog
from pushes.models import PasswordPush

from .base import BaseTestCase, make_password_push
from .spec import COMMON_KEYS

LIST_KEYS = COMMON_KEYS | {"name", "note"}
INVALID_PAGE = {"error": "Invalid page parameter"}
NOT_DELETABLE = {"error": "That push is not deletable by viewers."}


def audit_kinds(push: PasswordPush) -> list[str]:
    return list(AuditLog.objects.for_push(push).values_list("kind", flat=True))


class DeleteTestCase(BaseTestCase):
    def test_it_lets_an_anonymous_viewer_delete_a_default_push(self) -> None:  # case 87
        t = self.create().json()["url_token"]
        response = self.client.delete(f"/p/{t}.json")
        self.assertEqual(response.status_code, 200)
        data = response.json()
        self.assertEqual(set(data), COMMON_KEYS)
        self.assertIs(data["expired"], True)
        self.assertIs(data["deleted"], True)
        self.assertIsNotNone(data["expired_on"])
        self.assertIsNone(data["passphrase"])
        self.assertEqual(data["views_remaining"], 5)
        self.assertEqual(data["days_remaining"], 7)
        push = PasswordPush.objects.get(url_token=t)
        self.assertIs(push.expired, True)
        self.assertIsNone(push.payload)
        self.assertEqual(audit_kinds(push), ["creation", "expire"])

    def test_it_shows_a_deleted_push_as_deleted(self) -> None:  # case 88
        t = self.create().json()["url_token"]
        self.client.delete(f"/p/{t}.json")
        response = self.client.get(f"/p/{t}.json")
        self.assertEqual(response.status_code, 200)
        data = response.json()
        self.assertIsNone(data["payload"])
        self.assertIs(data["expired"], True)
        self.assertIs(data["deleted"], True)
        self.assertEqual(data["views_remaining"], 4)

    def test_it_refuses_viewers_when_not_deletable(self) -> None:  # case 89
        t = self.create({"deletable_by_viewer": False, "passphrase": "s3cr3t"}).json()[
            "url_token"
        ]
        response = self.client.delete(f"/p/{t}.json")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json(), NOT_DELETABLE)
        push = PasswordPush.objects.get(url_token=t)
        self.assertIs(push.expired, False)
        self.assertEqual(audit_kinds(push), ["creation"])
        response = self.client.get(f"/p/{t}.json", {"passphrase": "s3cr3t"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["payload"], "testpw")

    def test_it_lets_the_owner_delete_a_push_viewers_may_not(self) -> None:  # case 90
        t = self.create({"deletable_by_viewer": False}, token=self.alice_token).json()[
            "url_token"
        ]
        response = self.client.delete(f"/p/{t}.json", **self.auth(self.alice_token))
        self.assertEqual(response.status_code, 200)
        self.assertIs(response.json()["expired"], True)
        self.assertIs(PasswordPush.objects.get(url_token=t).expired, True)

    def test_it_refuses_another_user_when_not_deletable(self) -> None:  # case 90
        t = self.create({"deletable_by_viewer": False}, token=self.alice_token).json()[
            "url_token"
        ]
        response = self.client.delete(f"/p/{t}.json", **self.auth(self.bob_token))
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json(), NOT_DELETABLE)
        self.assertIs(PasswordPush.objects.get(url_token=t).expired, False)

    def test_it_gives_admins_no_delete_rights(self) -> None:  # §4.6
        t = self.create({"deletable_by_viewer": False}, token=self.alice_token).json()[
            "url_token"
        ]
        self.assertEqual(
            self.client.delete(
                f"/p/{t}.json", **self.auth(self.root_token)
            ).status_code,
            401,
        )
        self.assertIs(PasswordPush.objects.get(url_token=t).expired, False)

    def test_it_deletes_twice_with_one_expire_entry(self) -> None:  # case 92
        t = self.create(token=self.alice_token).json()["url_token"]
        first = self.client.delete(f"/p/{t}.json", **self.auth(self.alice_token))
        second = self.client.delete(f"/p/{t}.json", **self.auth(self.alice_token))
        self.assertEqual(first.status_code, 200)
        self.assertEqual(second.status_code, 200)
        self.assertEqual(second.json()["expired_on"], first.json()["expired_on"])
        self.assertIs(second.json()["deleted"], True)
        self.assertEqual(
            audit_kinds(PasswordPush.objects.get(url_token=t)).count("expire"), 1
        )

    def test_it_does_not_mark_a_push_expired_by_views_as_deleted(
        self,
    ) -> None:  # §6.3, §7.5 step 5
        push = make_password_push(expire_after_views=1)
        self.client.get(f"/p/{push.url_token}.json")
        response = self.client.delete(f"/p/{push.url_token}.json")
        self.assertEqual(response.status_code, 200)
        self.assertIs(response.json()["deleted"], False)
        self.assertNotIn("expire", audit_kinds(push))


class ListTestCase(BaseTestCase):
    def active(self, query: str = "", token: str | None = None):
        return self.client.get(
            f"/p/active.json{query}", **self.auth(token or self.alice_token)
        )

    def expired(self, query: str = "", token: str | None = None):
        return self.client.get(
            f"/p/expired.json{query}", **self.auth(token or self.alice_token)
        )

    def test_it_lists_active_pushes_without_payload(self) -> None:  # case 94
        self.create({"name": "DB creds", "note": "ticket 42"}, token=self.alice_token)
        response = self.active()
        self.assertEqual(response.status_code, 200)
        self.assertIsInstance(response.json(), list)
        item = response.json()[0]
        self.assertEqual(set(item), LIST_KEYS)
        self.assertEqual(item["name"], "DB creds")
        self.assertEqual(item["note"], "ticket 42")
        self.assertEqual(item["passphrase"], "")
        self.assertIs(item["expired"], False)
        self.assertIs(item["deleted"], False)
        self.assertNotIn("payload", item)
        self.assertNotIn(b"testpw", response.content)

    def test_it_lists_deleted_pushes_as_expired(self) -> None:  # case 95
        t = self.create(
            {"name": "DB creds", "note": "ticket 42"}, token=self.alice_token
        ).json()["url_token"]
        self.client.delete(f"/p/{t}.json")
        self.assertEqual(self.active().json(), [])
        response = self.expired()
        self.assertEqual(response.status_code, 200)
        item = response.json()[0]
        self.assertEqual(set(item), LIST_KEYS)
        self.assertEqual(item["url_token"], t)
        self.assertIs(item["expired"], True)
        self.assertIs(item["deleted"], True)
        self.assertIsNone(item["passphrase"])
        self.assertEqual(item["name"], "DB creds")
        self.assertEqual(item["note"], "ticket 42")

    def test_it_lists_only_the_callers_pushes(self) -> None:  # §4.6
        self.create(token=self.alice_token)
        self.create()
        self.assertEqual(self.active(token=self.bob_token).json(), [])
        self.assertEqual(len(self.active().json()), 1)

    def test_it_pages_newest_first(self) -> None:  # case 97
        now = timezone.now()
        tokens = []
        for age in range(60):
            push = make_password_push(user=self.alice)
            PasswordPush.objects.filter(pk=push.pk).update(
                created_at=now - timedelta(minutes=age)
            )
            tokens.append(push.url_token)
        first = self.active().json()
        second = self.active("?page=2").json()
        self.assertEqual([item["url_token"] for item in first], tokens[:50])
        self.assertEqual([item["url_token"] for item in second], tokens[50:])
        self.assertEqual(len(first), 50)
        self.assertEqual(len(second), 10)
        self.assertFalse(
            {i["url_token"] for i in first} & {i["url_token"] for i in second}
        )
        third = self.active("?page=3")
        self.assertEqual(third.status_code, 200)
        self.assertEqual(third.json(), [])

    def test_it_validates_the_page(self) -> None:  # case 98
        make_password_push(user=self.alice)
        for query in ("?page=201", "?page=abc", "?page=1.5", "?page=", "?page[]=1"):
            for response in (self.active(query), self.expired(query)):
                self.assertEqual(response.status_code, 400, query)
                self.assertEqual(response.json(), INVALID_PAGE, query)
        response = self.active("?page=-1")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.json()), 1)

    def test_it_never_expires_or_counts_on_lists_and_audit(self) -> None:  # case 100
        push = make_password_push(
            user=self.alice, expire_after_days=1, expire_after_views=3
        )
        PasswordPush.objects.filter(pk=push.pk).update(
            created_at=timezone.now() - timedelta(days=2)
        )
        items = self.active().json()
        self.assertEqual([item["url_token"] for item in items], [push.url_token])
        self.assertEqual(items[0]["days_remaining"], 0)
        self.assertIs(items[0]["expired"], False)
        self.assertEqual(self.expired().json(), [])
        audit = self.client.get(
            f"/p/{push.url_token}/audit.json", **self.auth(self.alice_token)
        )
        self.assertEqual(audit.json(), {"views": []})
        self.client.get(f"/p/{push.url_token}/preview.json")
        push.refresh_from_db()
        self.assertIs(push.expired, False)
        self.assertEqual(push.payload, "testpw")
        self.assertEqual(push.views_remaining, 3)
        self.assertEqual(audit_kinds(push), [])
