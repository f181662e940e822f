"""`careloop care`: care work from the command line.

careloop care generate [--as-of YYYY-MM-DD]   create the work due within the horizon
careloop care escalate [--as-of YYYY-MM-DD]   flag new care gaps, escalate old ones
careloop care remind [--as-of YYYY-MM-DD]     remind patients of work whose window is open
"""

from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careloop.care.services.gaps import care_gaps_escalate
from careloop.care.services.generation import care_work_generate
from careloop.care.services.reminders import care_reminders_send
from careloop.core import clock


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {text!r}.") from None


class Command(BaseCommand):
    help = (
        "Care work: `generate` creates every active care plan's occurrences due within the "
        "horizon (CARELOOP_CARE_HORIZON_DAYS) of today or --as-of; `escalate` flags the care gaps "
        "and escalates those older than CARELOOP_CARE_ESCALATE_AFTER_DAYS, each step once; "
        "`remind` sends patients the reminders due (patient reminders, and check-ins and "
        "coaching sessions not yet booked), each once. "
        "Safe to run again, and in several processes at once."
    )

    # Several processes may start at once; the system checks belong to `careloop check`.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        generate = actions.add_parser("generate", help="create the work due within the horizon")
        generate.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD")
        escalate = actions.add_parser("escalate", help="flag care gaps and escalate old ones")
        escalate.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD")
        remind = actions.add_parser("remind", help="send patients the reminders due")
        remind.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD")

    def handle(self, *arguments: Any, **options: Any) -> None:
        as_of = _day(options["as_of"]) if options.get("as_of") else clock.today()
        if options["action"] == "escalate":
            steps = care_gaps_escalate(as_of=as_of)
            noun = "step" if steps == 1 else "steps"
            self.stdout.write(f"Care gaps as of {as_of.isoformat()}: {steps} {noun} taken.\n")
            return
        if options["action"] == "remind":
            sent = care_reminders_send(as_of=as_of)
            noun = "reminder" if sent == 1 else "reminders"
            self.stdout.write(f"Patient reminders as of {as_of.isoformat()}: {sent} {noun} sent.\n")
            return
        created = care_work_generate(as_of=as_of)
        noun = "task" if created == 1 else "tasks"
        self.stdout.write(f"Care work as of {as_of.isoformat()}: {created} {noun} created.\n")
