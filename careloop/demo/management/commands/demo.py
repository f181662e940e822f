from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careloop.demo.seed import (
    DEMO_PASSWORD,
    STAFF,
    DemoRefused,
    demo_is_seeded,
    demo_seed,
    portal_users,
)


class Command(BaseCommand):
    help = "Seed the synthetic demo clinic (idempotent) and print its sign-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only when the database has no patients yet.",
        )

    def handle(self, *args: Any, if_empty: bool, **options: Any) -> None:
        if if_empty and demo_is_seeded():
            self.stdout.write(
                "The database already has patients; the demo clinic was not reseeded."
            )
        else:
            try:
                demo_seed()
            except DemoRefused as error:
                raise CommandError(error.message) from error
            self.stdout.write(self.style.SUCCESS("Demo clinic ready."))
        self._print_sign_ins()

    def _print_sign_ins(self) -> None:
        self.stdout.write("")
        self.stdout.write(
            f"Demo sign-ins at http://127.0.0.1:8000 (password for all: {DEMO_PASSWORD})"
        )
        for member in STAFF:
            self.stdout.write(f"  {member.username:<15} {member.role.label}")
        for user in portal_users():
            self.stdout.write(f"  {user.username:<15} Patient (portal)")
        self.stdout.write("Staff also need a TOTP code: run `.venv/bin/careloop demo codes`.")
        self.stdout.write("")
