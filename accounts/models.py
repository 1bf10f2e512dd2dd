"""Users log in by e-mail and call the API with a token stored only as a digest."""

import hashlib
import hmac
import secrets

from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.utils import timezone


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)  # None makes an unusable password
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **extra
    ) -> "User":
        return self.create_user(
            email, password, is_staff=True, is_superuser=True, **extra
        )

    def get_by_api_token(self, token: str) -> "User | None":
        """Finds the active-or-not user holding token, comparing digests in constant time."""
        digest = token_digest(token)
        user = self.filter(api_token_digest=digest).first()
        if user is None or not hmac.compare_digest(user.api_token_digest, digest):
            return None
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. is_staff marks an admin (spec: admin views are not counted)."""

    email = models.EmailField(unique=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    two_factor_enabled = models.BooleanField(default=False)
    api_token_digest = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self) -> str:
        return self.email

    @property
    def is_admin(self) -> bool:
        return self.is_staff

    def regenerate_api_token(self) -> str:
        """Replaces the API token and returns the new one; only its digest is kept."""
        token = secrets.token_urlsafe(32)
        self.api_token_digest = token_digest(token)
        self.save(update_fields=["api_token_digest"])
        return token

    def set_api_token(self, token: str) -> None:
        """Keeps a legacy token verbatim (migrated data): clients holding it keep working."""
        self.api_token_digest = token_digest(token)
        self.save(update_fields=["api_token_digest"])
