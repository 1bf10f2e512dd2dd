"""BaseTestCase and make_*() helpers shared by the test modules."""

from unittest import mock

from django.test import TestCase, override_settings
from rest_framework.test import APIClient

from accounts.models import User
from pushes.models import PasswordPush

TEST_KEY = "q4K2Jd5L8V0xkJ3mR7tY1uI9oP6aS2dF4gH8jK0lZ3c"


def make_user(email: str, *, admin: bool = False) -> tuple[User, str]:
    """A user and its API token."""
    user = User.objects.create_user(email, is_staff=admin)
    return user, user.regenerate_api_token()


def make_password_push(**overrides) -> PasswordPush:
    values = {
        "payload": "testpw",
        "expire_after_days": 7,
        "expire_after_views": 5,
        "deletable_by_viewer": True,
        "retrieval_step": True,
    }
    values.update(overrides)
    push = PasswordPush(**values)
    push.save()
    return push


@override_settings(
    PWPUSH_ENCRYPTION_KEYS=[TEST_KEY],
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
)
class BaseTestCase(TestCase):
    """alice owns things, bob must not see them, root is an admin."""

    def setUp(self) -> None:
        # Passphrase limits count per clock minute: a test's burst must not straddle two.
        minute = mock.patch("pushes.api.current_minute", return_value=29_000_000)
        minute.start()
        self.addCleanup(minute.stop)
        self.alice, self.alice_token = make_user("alice@example.com")
        self.bob, self.bob_token = make_user("bob@example.com")
        self.root, self.root_token = make_user("root@example.com", admin=True)
        self.client = APIClient()

    def auth(self, token: str) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def create(
        self,
        fields: dict | None = None,
        *,
        token: str | None = None,
        path: str = "/p.json",
        key: str = "password",
        **extra,
    ):
        """POST a JSON create; returns the response."""
        headers = self.auth(token) if token else {}
        body = {key: {"payload": "testpw", **(fields or {})}}
        return self.client.post(path, body, format="json", **headers, **extra)
