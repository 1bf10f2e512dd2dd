"""manage.py createuser EMAIL [--admin]: users and their API tokens, stored only as a digest."""

import hashlib
from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import User
from audit.models import AuditLog

from .base import BaseTestCase, make_password_push


def createuser(*args: str) -> str:
    """Runs the command and returns the token printed on its last line."""
    out = StringIO()
    call_command("createuser", *args, stdout=out)
    lines = out.getvalue().splitlines()
    return lines[-1]


class CreateUserTestCase(BaseTestCase):
    def active_status(self, token: str) -> int:
        return self.client.get("/p/active.json", **self.auth(token)).status_code

    def test_it_creates_a_missing_user(self) -> None:
        createuser("carol@example.com")
        user = User.objects.get(email="carol@example.com")
        self.assertIs(user.is_staff, False)
        self.assertIs(user.is_admin, False)
        self.assertIs(user.is_active, True)

    def test_it_prints_the_token_alone_on_the_last_line(self) -> None:
        out = StringIO()
        call_command("createuser", "carol@example.com", stdout=out)
        last = out.getvalue().splitlines()[-1]
        self.assertEqual(last, last.strip())
        self.assertNotIn(" ", last)
        self.assertGreaterEqual(len(last), 20)
        self.assertNotIn("carol@example.com", last)

    def test_it_gives_a_token_that_works_on_the_api(self) -> None:
        token = createuser("carol@example.com")
        response = self.client.get("/p/active.json", **self.auth(token))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), [])

    def test_it_does_not_duplicate_an_existing_user(self) -> None:
        token = createuser("alice@example.com")
        self.assertEqual(
            User.objects.filter(email__iexact="alice@example.com").count(), 1
        )
        push = make_password_push(user=self.alice)
        response = self.client.get("/p/active.json", **self.auth(token))
        self.assertEqual(
            [item["url_token"] for item in response.json()], [push.url_token]
        )

    def test_it_replaces_the_old_token(self) -> None:
        old = createuser("carol@example.com")
        new = createuser("carol@example.com")
        self.assertNotEqual(old, new)
        self.assertEqual(self.active_status(new), 200)
        response = self.client.get("/p/active.json", **self.auth(old))
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.content, b"")

    def test_it_replaces_a_token_made_elsewhere(self) -> None:
        createuser("alice@example.com")
        self.assertEqual(self.active_status(self.alice_token), 401)

    def test_it_stores_only_a_sha256_digest(self) -> None:
        token = createuser("carol@example.com")
        user = User.objects.get(email="carol@example.com")
        self.assertEqual(
            user.api_token_digest, hashlib.sha256(token.encode()).hexdigest()
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT * FROM {connection.ops.quote_name(User._meta.db_table)}"
            )
            rows = cursor.fetchall()
        self.assertTrue(rows)
        for row in rows:
            for column in row:
                self.assertNotIn(token, str(column))

    def test_it_makes_an_admin_whose_views_are_admin_views(self) -> None:
        token = createuser("ops@example.com", "--admin")
        self.assertIs(User.objects.get(email="ops@example.com").is_admin, True)
        push = make_password_push(user=self.alice, expire_after_views=2)
        response = self.client.get(f"/p/{push.url_token}.json", **self.auth(token))
        self.assertEqual(response.json()["payload"], "testpw")
        self.assertEqual(response.json()["views_remaining"], 2)
        self.assertEqual(
            list(AuditLog.objects.for_push(push).values_list("kind", flat=True)),
            ["admin_view"],
        )

    def test_it_promotes_an_existing_user_to_admin(self) -> None:
        createuser("bob@example.com", "--admin")
        self.bob.refresh_from_db()
        self.assertIs(self.bob.is_admin, True)

    def test_it_keeps_a_normal_user_normal_without_admin(self) -> None:
        token = createuser("carol@example.com")
        push = make_password_push(expire_after_views=2)
        self.client.get(f"/p/{push.url_token}.json", **self.auth(token))
        self.assertEqual(
            list(AuditLog.objects.for_push(push).values_list("kind", flat=True)),
            ["view"],
        )

    def test_it_rejects_an_invalid_email(self) -> None:
        for email in ("not-an-email", "a@", "@example.com", ""):
            with self.assertRaises(CommandError):
                createuser(email)
        self.assertEqual(User.objects.count(), 3)
