"""`careloop audit verify`: check the audit log's hash chain; exit status 1 when it is broken."""

import time
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand

from careloop.audit.verify import DEFAULT_PROBLEM_LIMIT, audit_verify


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


class Command(BaseCommand):
    help = (
        "Recompute every audit event's keyed hash and check the chain's links and head. "
        "Prints one line per problem and exits with status 1 if there is any."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--from-sequence",
            type=_positive,
            default=1,
            help="Start at this event instead of the first (default 1).",
        )
        parser.add_argument(
            "--max-problems",
            type=_positive,
            default=DEFAULT_PROBLEM_LIMIT,
            help=f"List at most this many problems (default {DEFAULT_PROBLEM_LIMIT}); "
            "all are counted.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        report = audit_verify(
            from_sequence=options["from_sequence"], problem_limit=options["max_problems"]
        )
        seconds = time.perf_counter() - started
        checked = f"Checked {report.events_checked:,} events"
        if report.intact:
            self.stdout.write(f"{checked}: the chain is intact ({seconds:.1f} s).")
            return
        for problem in report.problems:
            self.stdout.write(str(problem))
        if report.problems_not_listed:
            self.stdout.write(f"... and {report.problems_not_listed:,} more not listed.")
        noun = "problem" if report.problem_count == 1 else "problems"
        self.stderr.write(
            f"{checked}: {report.problem_count:,} {noun} found. The audit log was changed "
            "outside Careloop, or the audit key (CARELOOP_AUDIT_KEY) is not the one it was "
            "written with."
        )
        raise SystemExit(1)
