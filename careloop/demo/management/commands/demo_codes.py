from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from careloop.accounts.models import User
from careloop.accounts.selectors import totp_current_code
from careloop.demo.seed import STAFF


class Command(BaseCommand):
    help = "Print the current TOTP code of each demo staff member (demo clinic only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError("Demo codes are available only when CARELOOP_DEMO is on.")
        users = {
            u.username: u for u in User.objects.filter(username__in=[m.username for m in STAFF])
        }
        if not users:
            raise CommandError("There is no demo clinic here; run `careloop demo` first.")
        self.stdout.write("Current sign-in codes (each is valid for about 30 seconds):")
        for member in STAFF:
            user = users.get(member.username)
            if user is not None:
                self.stdout.write(f"  {member.username:<15} {totp_current_code(user=user)}")
