"""GET /p/<t>.json: view counting, expiry on read, and safe methods that never consume a view."""

from datetime import timedelta

from django.utils import timezone

from audit.models import AuditLog
from pushes.models import PasswordPush

from .base import BaseTestCase, make_password_push
from .spec import COMMON_KEYS

SHOW_KEYS = COMMON_KEYS | {"payload", "files"}


def audit_kinds(push: PasswordPush) -> list[str]:
    return list(AuditLog.objects.for_push(push).values_list("kind", flat=True))


def backdate(push: PasswordPush, age: timedelta) -> None:
    PasswordPush.objects.filter(pk=push.pk).update(created_at=timezone.now() - age)


class RetrieveTestCase(BaseTestCase):
    def create_token(
        self, fields: dict | None = None, *, token: str | None = None
    ) -> str:
        response = self.create(fields, token=token)
        self.assertEqual(response.status_code, 201)
        return response.json()["url_token"]

    def push(self, url_token: str) -> PasswordPush:
        return PasswordPush.objects.get(url_token=url_token)

    # --- cases 56-58: counting and expiry by views ---

    def test_it_counts_the_first_anonymous_view(self) -> None:  # case 56
        t = self.create_token({"expire_after_views": 2})
        response = self.client.get(f"/p/{t}.json")
        self.assertEqual(response.status_code, 200)
        data = response.json()
        self.assertEqual(data["payload"], "testpw")
        self.assertIs(data["expired"], False)
        self.assertIs(data["deleted"], False)
        self.assertEqual(data["views_remaining"], 1)
        self.assertEqual(data["expire_after_views"], 2)

    def test_it_delivers_the_last_view_then_erases_the_payload(self) -> None:  # case 57
        t = self.create_token({"expire_after_views": 2})
        self.client.get(f"/p/{t}.json")
        response = self.client.get(f"/p/{t}.json")
        self.assertEqual(response.status_code, 200)
        data = response.json()
        self.assertEqual(data["payload"], "testpw")
        self.assertIs(data["expired"], False)
        self.assertEqual(data["views_remaining"], 0)
        push = self.push(t)
        self.assertIs(push.expired, True)
        self.assertIsNone(push.payload)

    def test_it_shows_an_exhausted_push_as_expired(self) -> None:  # case 58
        t = self.create_token({"expire_after_views": 2})
        self.client.get(f"/p/{t}.json")
        self.client.get(f"/p/{t}.json")
        response = self.client.get(f"/p/{t}.json")
        self.assertEqual(response.status_code, 200)
        data = response.json()
        self.assertEqual(set(data), SHOW_KEYS)
        self.assertIs(data["expired"], True)
        self.assertIsNotNone(data["expired_on"])
        self.assertIsNone(data["payload"])
        self.assertIsNone(data["passphrase"])
        self.assertEqual(data["files"], [])
        self.assertIs(data["deleted"], False)
        self.assertEqual(data["views_remaining"], 0)
        self.assertEqual(data["days_remaining"], 7)
        self.assertIs(data["deletable_by_viewer"], True)

    def test_it_expires_right_after_the_view_that_used_the_last_allowance(
        self,
    ) -> None:  # §7.2.1 step 8
        t = self.create_token({"expire_after_views": 1})
        last = self.client.get(f"/p/{t}.json").json()
        self.assertIs(last["expired"], False)
        self.assertEqual(last["payload"], "testpw")
        push = self.push(t)
        self.assertIs(push.expired, True)
        self.assertIsNone(push.payload)
        self.assertIsNotNone(push.expired_on)
        after = self.client.get(f"/p/{t}.json").json()
        self.assertIs(after["expired"], True)
        self.assertIsNone(after["payload"])
        self.assertEqual(audit_kinds(push), ["creation", "view", "failed_view"])

    # --- case 59: representation ---

    def test_it_returns_empty_files_and_no_name_or_note(self) -> None:  # case 59
        t = self.create_token({"name": "label", "note": "memo"}, token=self.alice_token)
        data = self.client.get(f"/p/{t}.json").json()
        self.assertEqual(data["files"], [])
        self.assertNotIn("name", data)
        self.assertNotIn("note", data)
        self.assertEqual(set(data), SHOW_KEYS)

    # --- cases 60-62: who counts ---

    def test_it_does_not_count_the_owners_views(self) -> None:  # case 60
        t = self.create_token({"expire_after_views": 2}, token=self.alice_token)
        for _ in range(3):
            response = self.client.get(f"/p/{t}.json", **self.auth(self.alice_token))
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.json()["payload"], "testpw")
            self.assertEqual(response.json()["views_remaining"], 2)
        push = self.push(t)
        self.assertEqual(
            audit_kinds(push), ["creation", "owner_view", "owner_view", "owner_view"]
        )
        self.assertEqual(push.views_remaining, 2)
        self.assertIs(push.expired, False)

    def test_it_does_not_count_an_admins_view(self) -> None:  # case 61
        t = self.create_token({"expire_after_views": 2}, token=self.alice_token)
        response = self.client.get(f"/p/{t}.json", **self.auth(self.root_token))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["payload"], "testpw")
        self.assertEqual(response.json()["views_remaining"], 2)
        push = self.push(t)
        self.assertEqual(audit_kinds(push), ["creation", "admin_view"])
        self.assertEqual(push.views_remaining, 2)

    def test_it_records_admin_view_even_for_the_admins_own_push(self) -> None:  # §7.2.4
        t = self.create_token({"expire_after_views": 2}, token=self.root_token)
        self.client.get(f"/p/{t}.json", **self.auth(self.root_token))
        self.assertEqual(audit_kinds(self.push(t)), ["creation", "admin_view"])

    def test_it_counts_an_authenticated_non_owners_view(self) -> None:  # case 62
        t = self.create_token({"expire_after_views": 3}, token=self.alice_token)
        response = self.client.get(f"/p/{t}.json", **self.auth(self.bob_token))
        self.assertEqual(response.json()["views_remaining"], 2)
        push = self.push(t)
        self.assertEqual(audit_kinds(push), ["creation", "view"])
        self.assertEqual(push.views_remaining, 2)

    # --- case 67: unknown tokens ---

    def test_it_answers_unknown_tokens_with_not_found(self) -> None:  # case 67
        for response in (
            self.client.get("/p/x.json"),
            self.client.get("/p/x/preview.json"),
            self.client.delete("/p/x.json"),
        ):
            self.assertEqual(response.status_code, 404)
            self.assertEqual(response.json(), {"error": "not-found"})

    # --- case 68: caching ---

    def test_it_forbids_caching_the_retrieve_response(self) -> None:  # case 68, §11
        t = self.create_token()
        response = self.client.get(f"/p/{t}.json")
        self.assertIn("no-store", response["Cache-Control"])

    # --- case 69 and §6.3: expiry by days ---

    def test_it_expires_a_push_past_its_days_on_read(self) -> None:  # case 69
        push = make_password_push(expire_after_days=1)
        backdate(push, timedelta(days=2))
        response = self.client.get(f"/p/{push.url_token}.json")
        self.assertEqual(response.status_code, 200)
        self.assertIs(response.json()["expired"], True)
        self.assertIsNone(response.json()["payload"])
        self.assertEqual(audit_kinds(push), ["failed_view"])
        push.refresh_from_db()
        self.assertIs(push.expired, True)
        self.assertIsNone(push.payload)

    def test_it_expires_exactly_when_the_days_run_out(self) -> None:  # §6.3
        push = make_password_push(expire_after_days=2)
        backdate(push, timedelta(days=2, seconds=1))
        data = self.client.get(f"/p/{push.url_token}.json").json()
        self.assertIs(data["expired"], True)
        self.assertEqual(data["days_remaining"], 0)

    def test_it_still_delivers_just_before_the_days_run_out(self) -> None:  # §6.3
        push = make_password_push(expire_after_days=2)
        backdate(push, timedelta(days=2) - timedelta(minutes=1))
        data = self.client.get(f"/p/{push.url_token}.json").json()
        self.assertIs(data["expired"], False)
        self.assertEqual(data["payload"], "testpw")
        self.assertEqual(data["days_remaining"], 1)

    def test_it_reports_full_days_until_24_hours_have_passed(self) -> None:  # §6.3
        push = make_password_push(expire_after_days=7)
        backdate(push, timedelta(hours=23, minutes=59))
        self.assertEqual(
            self.client.get(f"/p/{push.url_token}.json").json()["days_remaining"], 7
        )
        backdate(push, timedelta(hours=24, minutes=1))
        self.assertEqual(
            self.client.get(f"/p/{push.url_token}.json").json()["days_remaining"], 6
        )
        backdate(push, timedelta(days=3, hours=23))
        self.assertEqual(
            self.client.get(f"/p/{push.url_token}.json").json()["days_remaining"], 4
        )

    def test_it_computes_days_remaining_on_the_model(self) -> None:  # §6.3
        push = make_password_push(expire_after_days=3)
        for age, remaining in (
            (timedelta(0), 3),
            (timedelta(days=1), 2),
            (timedelta(days=5), 0),
        ):
            backdate(push, age)
            push.refresh_from_db()
            self.assertEqual(push.days_remaining, remaining)

    # --- case 70: many readers, one view ---

    def test_it_gives_a_one_view_push_to_exactly_one_reader(
        self,
    ) -> None:  # case 70 (sequential)
        t = self.create_token({"expire_after_views": 1})
        responses = [self.client.get(f"/p/{t}.json") for _ in range(8)]
        self.assertEqual([r.status_code for r in responses], [200] * 8)
        delivered = [r.json() for r in responses if r.json()["payload"] is not None]
        self.assertEqual(len(delivered), 1)
        self.assertEqual(delivered[0]["payload"], "testpw")
        for response in responses[1:]:
            self.assertIs(response.json()["expired"], True)
            self.assertIsNone(response.json()["payload"])
        self.assertIsNone(self.push(t).payload)

    # --- json_url path ---

    def test_it_retrieves_through_the_retrieval_step_json_url(
        self,
    ) -> None:  # §14.4, §15.8
        created = self.create({"expire_after_views": 2}).json()
        self.assertTrue(
            created["json_url"].endswith(f"/p/{created['url_token']}/r.json")
        )
        response = self.client.get(f"/p/{created['url_token']}/r.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["payload"], "testpw")
        self.assertEqual(response.json()["views_remaining"], 1)
        self.assertIn("no-store", response["Cache-Control"])


class SafeMethodsTestCase(BaseTestCase):
    """HEAD, prefetches, previews and lists never consume a view (spec §15.7, case 100)."""

    def setUp(self) -> None:
        super().setUp()
        self.push = make_password_push(user=self.alice, expire_after_views=1)

    def assert_untouched(self) -> None:
        self.push.refresh_from_db()
        self.assertIs(self.push.expired, False)
        self.assertEqual(self.push.payload, "testpw")
        self.assertEqual(self.push.views_remaining, 1)
        self.assertEqual(audit_kinds(self.push), [])

    def test_it_does_not_consume_a_view_on_head(self) -> None:
        for path in (
            f"/p/{self.push.url_token}.json",
            f"/p/{self.push.url_token}/r.json",
        ):
            response = self.client.head(path)
            self.assertNotIn(b"testpw", response.content)
        self.assert_untouched()

    def test_it_answers_head_of_an_unknown_token_with_404(self) -> None:
        self.assertEqual(self.client.head("/p/nosuchtoken0000.json").status_code, 404)

    def test_it_does_not_consume_a_view_on_a_sec_purpose_prefetch(self) -> None:
        for purpose in ("prefetch", "prefetch;prerender"):
            response = self.client.get(
                f"/p/{self.push.url_token}.json", HTTP_SEC_PURPOSE=purpose
            )
            self.assertNotIn(b"testpw", response.content)
        self.assert_untouched()

    def test_it_does_not_consume_a_view_on_a_purpose_prefetch(self) -> None:
        response = self.client.get(
            f"/p/{self.push.url_token}.json", HTTP_PURPOSE="prefetch"
        )
        self.assertNotIn(b"testpw", response.content)
        self.assert_untouched()

    def test_it_still_delivers_to_the_real_reader_after_prefetches(self) -> None:
        self.client.head(f"/p/{self.push.url_token}.json")
        self.client.get(f"/p/{self.push.url_token}.json", HTTP_SEC_PURPOSE="prefetch")
        response = self.client.get(f"/p/{self.push.url_token}.json")
        self.assertEqual(response.json()["payload"], "testpw")

    def test_it_does_not_consume_a_view_on_preview(self) -> None:  # case 100
        self.assertEqual(
            self.client.get(f"/p/{self.push.url_token}/preview.json").status_code, 200
        )
        self.assert_untouched()

    def test_it_does_not_consume_a_view_on_lists_or_audit(self) -> None:  # case 100
        headers = self.auth(self.alice_token)
        self.assertEqual(self.client.get("/p/active.json", **headers).status_code, 200)
        self.assertEqual(self.client.get("/p/expired.json", **headers).status_code, 200)
        self.assertEqual(
            self.client.get(
                f"/p/{self.push.url_token}/audit.json", **headers
            ).status_code,
            200,
        )
        self.assert_untouched()
