"""Passphrase-protected retrieval: the 401 gate, the shared 429 limit, and flooding that can't burn a push."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditLog
from pushes.models import PasswordPush

from .base import BaseTestCase, make_password_push

PASSPHRASE_401 = {
    "error": "That passphrase is incorrect.",
    "message": "This push requires a passphrase. Please provide it using the 'passphrase' parameter "
    "(e.g. ?passphrase=mysecret)",
    "status": "unauthorized",
}
TOO_MANY = {"error": "Too many passphrase attempts. Please try again in a minute."}


def count_kind(push: PasswordPush, kind: str) -> int:
    return AuditLog.objects.for_push(push).filter(kind=kind).count()


class PassphraseTestCase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.push = make_password_push(passphrase="asdf", expire_after_views=3)
        self.url = f"/p/{self.push.url_token}.json"

    def get(
        self, passphrase: str | None = None, client: APIClient | None = None, **extra
    ):
        data = {} if passphrase is None else {"passphrase": passphrase}
        return (client or self.client).get(self.url, data, **extra)

    def test_it_refuses_a_missing_passphrase(self) -> None:  # case 71
        response = self.get()
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json(), PASSPHRASE_401)
        self.assertEqual(count_kind(self.push, "failed_passphrase"), 1)
        self.assertNotIn(b"testpw", response.content)

    def test_it_refuses_a_wrong_passphrase_without_counting_a_view(
        self,
    ) -> None:  # case 72
        response = self.get("badpassphrase")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["error"], "That passphrase is incorrect.")
        self.assertEqual(response.json(), PASSPHRASE_401)
        self.assertEqual(count_kind(self.push, "failed_passphrase"), 1)
        self.push.refresh_from_db()
        self.assertEqual(self.push.views_remaining, 3)
        self.assertEqual(count_kind(self.push, "view"), 0)

    def test_it_is_case_sensitive(self) -> None:  # §7.2.1 step 5
        self.assertEqual(self.get("ASDF").status_code, 401)

    def test_it_delivers_with_the_right_passphrase(self) -> None:  # case 73
        response = self.get("asdf")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["payload"], "testpw")
        self.assertEqual(response.json()["views_remaining"], 2)
        self.assertEqual(count_kind(self.push, "view"), 1)

    def test_it_limits_passphrase_attempts_to_five_a_minute(self) -> None:  # case 74
        for _ in range(5):
            self.assertEqual(self.get("wrong").status_code, 401)
        sixth = self.get("wrong")
        self.assertEqual(sixth.status_code, 429)
        self.assertEqual(sixth.json(), TOO_MANY)
        seventh = self.get("asdf")
        self.assertEqual(seventh.status_code, 429)
        self.assertEqual(seventh.json(), TOO_MANY)
        self.assertNotIn(b"testpw", seventh.content)

    def test_it_does_not_log_refused_attempts(self) -> None:  # §7.2.3
        for _ in range(7):
            self.get("wrong")
        self.assertEqual(count_kind(self.push, "failed_passphrase"), 5)

    def test_it_counts_correct_attempts_toward_the_limit(
        self,
    ) -> None:  # §7.2.3, §14.13
        push = make_password_push(passphrase="asdf", expire_after_views=100)
        for _ in range(5):
            self.assertEqual(
                self.client.get(
                    f"/p/{push.url_token}.json", {"passphrase": "asdf"}
                ).status_code,
                200,
            )
        self.assertEqual(
            self.client.get(
                f"/p/{push.url_token}.json", {"passphrase": "asdf"}
            ).status_code,
            429,
        )

    def test_it_never_counts_requests_without_a_passphrase(self) -> None:  # §7.2.3
        for _ in range(10):
            self.assertEqual(self.get().status_code, 401)
        for blank in ("", "   "):
            self.assertEqual(self.get(blank).status_code, 401)
        response = self.get("asdf")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["payload"], "testpw")

    def test_it_keys_the_limit_by_push_not_by_client(self) -> None:  # §7.2.3
        for _ in range(5):
            self.get("wrong", REMOTE_ADDR="203.0.113.7")
        other = APIClient()
        response = self.get(
            "asdf",
            client=other,
            REMOTE_ADDR="198.51.100.4",
            **self.auth(self.bob_token),
        )
        self.assertEqual(response.status_code, 429)
        unrelated = make_password_push(passphrase="asdf")
        self.assertEqual(
            self.client.get(
                f"/p/{unrelated.url_token}.json", {"passphrase": "asdf"}
            ).status_code,
            200,
        )

    def test_it_answers_unknown_tokens_before_counting(self) -> None:  # §7.2.3
        for _ in range(7):
            response = self.client.get("/p/nosuchtoken0000.json", {"passphrase": "x"})
            self.assertEqual(response.status_code, 404)
            self.assertEqual(response.json(), {"error": "not-found"})

    def test_it_keeps_the_counter_in_the_shared_database_cache(
        self,
    ) -> None:  # §7.2.3 "shared by all workers"
        self.assertEqual(
            settings.CACHES["default"]["BACKEND"],
            "django.core.cache.backends.db.DatabaseCache",
        )
        self.assertIsInstance(caches["default"], DatabaseCache)
        table = settings.CACHES["default"]["LOCATION"]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            before = cursor.fetchone()[0]
        for _ in range(5):
            self.get("wrong")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            self.assertGreater(cursor.fetchone()[0], before)
        # A second worker has its own cache object but reads the same table.
        other_worker = DatabaseCache(table, {})
        self.assertIsNot(other_worker, caches["default"])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT cache_key FROM {connection.ops.quote_name(table)}")
            keys = [row[0] for row in cursor.fetchall()]
        self.assertTrue(
            any(other_worker.get(key.split(":", 2)[-1]) == 5 for key in keys)
        )
        self.assertEqual(self.get("asdf").status_code, 429)

    def test_it_opens_the_window_again_after_a_minute(self) -> None:  # §7.2.3
        for _ in range(6):
            self.get("wrong")
        self.assertEqual(self.get("asdf").status_code, 429)
        table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET expires = %s",
                [timezone.now() - timedelta(seconds=1)],
            )
        response = self.get("asdf")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["payload"], "testpw")

    def test_it_has_no_gate_for_a_blank_passphrase(self) -> None:  # §7.1.1
        push = make_password_push(passphrase="   ")
        response = self.client.get(f"/p/{push.url_token}.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["payload"], "testpw")

    def test_it_expires_by_days_before_the_gate(self) -> None:  # §7.2.1 steps 4-5, §9.3
        PasswordPush.objects.filter(pk=self.push.pk).update(
            created_at=timezone.now() - timedelta(days=8)
        )
        response = self.get()
        self.assertEqual(response.status_code, 200)
        self.assertIs(response.json()["expired"], True)
        self.assertIsNone(response.json()["payload"])
        self.assertEqual(count_kind(self.push, "failed_view"), 1)
        self.assertEqual(count_kind(self.push, "failed_passphrase"), 0)

    def test_it_has_no_owner_bypass(self) -> None:  # case 75
        response = self.create({"passphrase": "asdf"}, token=self.alice_token)
        url_token = response.json()["url_token"]
        response = self.client.get(
            f"/p/{url_token}.json", **self.auth(self.alice_token)
        )
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json(), PASSPHRASE_401)

    def test_it_has_no_admin_bypass(self) -> None:  # §7.2.1 step 5
        response = self.client.get(self.url, **self.auth(self.root_token))
        self.assertEqual(response.status_code, 401)

    def test_it_skips_the_gate_once_the_push_is_deleted(self) -> None:  # case 76
        url_token = self.create({"passphrase": "asdf"}, token=self.alice_token).json()[
            "url_token"
        ]
        self.assertEqual(
            self.client.delete(
                f"/p/{url_token}.json", **self.auth(self.alice_token)
            ).status_code,
            200,
        )
        response = self.client.get(f"/p/{url_token}.json")
        self.assertEqual(response.status_code, 200)
        self.assertIs(response.json()["expired"], True)
        self.assertIsNone(response.json()["payload"])
        push = PasswordPush.objects.get(url_token=url_token)
        self.assertEqual(count_kind(push, "failed_view"), 1)
        self.assertEqual(count_kind(push, "failed_passphrase"), 0)


class PassphraseFloodTestCase(BaseTestCase):
    """Unlike the original (spec §15.4), failed passphrases can never burn the push."""

    def test_it_still_delivers_to_the_recipient_after_a_flood_of_failures(self) -> None:
        push = make_password_push(passphrase="asdf", expire_after_views=2)
        cap = settings.AUDIT_LOG_CAP
        # As full of failed_passphrase entries as a flood can make it, then some more real failures.
        AuditLog.objects.bulk_create(
            AuditLog(push=push, kind=AuditLog.Kind.FAILED_PASSPHRASE, ip="203.0.113.7")
            for _ in range(cap - 5)
        )
        for _ in range(10):
            self.assertEqual(
                self.client.get(f"/p/{push.url_token}.json").status_code, 401
            )
        self.assertLessEqual(AuditLog.objects.for_push(push).count(), cap)
        for views_remaining in (1, 0):
            response = self.client.get(
                f"/p/{push.url_token}.json", {"passphrase": "asdf"}
            )
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.json()["payload"], "testpw")
            self.assertEqual(response.json()["views_remaining"], views_remaining)
        self.assertEqual(AuditLog.objects.for_push(push).filter(kind="view").count(), 2)
        self.assertLessEqual(AuditLog.objects.for_push(push).count(), cap)

    def test_it_keeps_room_for_views_when_failures_fill_the_log(self) -> None:
        push = make_password_push(passphrase="asdf", expire_after_views=3)
        cap = settings.AUDIT_LOG_CAP
        AuditLog.objects.bulk_create(
            AuditLog(push=push, kind=AuditLog.Kind.FAILED_PASSPHRASE)
            for _ in range(cap - 3)
        )
        self.client.get(f"/p/{push.url_token}.json")
        self.assertEqual(AuditLog.objects.for_push(push).count(), cap - 3)
        push.refresh_from_db()
        self.assertIs(push.expired, False)
        self.assertEqual(push.payload, "testpw")
        response = self.client.get(f"/p/{push.url_token}.json", {"passphrase": "asdf"})
        self.assertEqual(response.json()["payload"], "testpw")
