"""`careloop care`: care work from the command line.

careloop care generate [--as-of YYYY-MM-DD]   create the work due within the horizon
"""

from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careloop.care.services.generation import care_work_generate
from careloop.core import clock


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {text!r}.") from None


class Command(BaseCommand):
    help = (
        "Care work: `generate` creates every active care plan's occurrences due within the "
        "horizon (CARELOOP_CARE_HORIZON_DAYS) of today or --as-of. Safe to run again, and in "
        "several processes at once."
    )

    # Several processes may start at once; the system checks belong to `careloop check`.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        generate = actions.add_parser("generate", help="create the work due within the horizon")
        generate.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD")

    def handle(self, *arguments: Any, **options: Any) -> None:
        as_of = _day(options["as_of"]) if options.get("as_of") else clock.today()
        created = care_work_generate(as_of=as_of)
        noun = "task" if created == 1 else "tasks"
        self.stdout.write(f"Care work as of {as_of.isoformat()}: {created} {noun} created.\n")
