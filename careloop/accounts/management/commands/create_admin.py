from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from careloop.accounts.services import set_password_link_parts, staff_create_first_admin
from careloop.core.errors import ValidationFailed


class Command(BaseCommand):
    help = (
        "Create a practice admin on a fresh install and print a one-time link to choose "
        "their password. They set up an authenticator app at their first sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="Practice")
        parser.add_argument("--last-name", default="Admin")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = staff_create_first_admin(
                username=options["username"],
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except ValidationFailed as error:
            problems = "; ".join(
                f"--{e.field.replace('_', '-')}: {e.message}" for e in error.errors
            )
            raise CommandError(f"No admin was created. {problems}") from error
        uidb64, token = set_password_link_parts(user)
        path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})
        link = settings.PORTAL_BASE_URL.rstrip("/") + path
        hours = max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)
        self.stdout.write(
            f"Created the practice admin {user.username}.\n"
            f"Open this link within {hours} hour{'s' if hours != 1 else ''} to choose the "
            f"password (it works once):\n\n  {link}\n\n"
            "If it expires, use “Forgot your password?” on the sign-in page (needs email and a "
            "running worker), or set a password here with: "
            f"careloop changepassword {user.username}\n"
        )
