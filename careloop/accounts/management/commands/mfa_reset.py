from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careloop.accounts.selectors import user_for_username
from careloop.accounts.services import totp_device_remove


class Command(BaseCommand):
    help = (
        "Remove a staff member's authenticator app and recovery codes (a lost phone). "
        "They set up a new app at their next sign-in."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_for_username(options["username"])
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        if totp_device_remove(user=user, actor=None):
            self.stdout.write(
                f"Removed the authenticator app of {user.username}; they will set up a new "
                "one at their next sign-in."
            )
        else:
            self.stdout.write(f"{user.username} had no authenticator app; nothing changed.")
