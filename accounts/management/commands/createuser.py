"""createuser EMAIL [--admin]: makes the user if missing and prints a new API token last."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts.models import User


class Command(BaseCommand):
    help = "Create a user (if missing) and give it a new API token, printed alone on the last line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--admin", action="store_true", help="make the user an admin"
        )

    def handle(self, *args, email: str, admin: bool, **options) -> None:
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"not a valid e-mail address: {email!r}") from None
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email)
            self.stdout.write(f"Created user {user.email}.")
        if admin and not user.is_staff:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        token = user.regenerate_api_token()
        self.stdout.write(
            f"New API token for {user.email} (shown once; any older token stops working):"
        )
        self.stdout.write(token)
