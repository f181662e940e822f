"""`careloop audit verify`: check the audit log's hash chain; exit status 1 when it is broken."""

import time
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand

from careloop.audit.verify import DEFAULT_PROBLEM_LIMIT, Anchor, audit_verify


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _anchor(text: str) -> Anchor:
    sequence, _, entry_hash = text.partition(":")
    if not sequence.isdigit() or int(sequence) < 1 or len(entry_hash) != 64:
        raise ArgumentTypeError(
            f"expected SEQUENCE:HASH as printed by an earlier run, e.g. 1042:9f86d0…, got {text!r}"
        )
    return Anchor(sequence=int(sequence), entry_hash=entry_hash.lower())


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
            "--anchor",
            type=_anchor,
            help="SEQUENCE:HASH of an event as an earlier run printed it; it must still be "
            "there, unchanged.",
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
            from_sequence=options["from_sequence"],
            problem_limit=options["max_problems"],
            anchor=options["anchor"],
        )
        seconds = time.perf_counter() - started
        checked = f"Checked {report.events_checked:,} events"
        if report.intact:
            self.stdout.write(f"{checked}: the chain is intact ({seconds:.1f} s).")
            if report.last_sequence is not None:
                # Kept somewhere outside the database, this lets a later run prove that
                # nothing up to here was cut off with the head rewritten to match.
                self.stdout.write(f"Last event: --anchor {report.last_sequence}:{report.last_hash}")
            return
        for problem in report.problems:
            self.stdout.write(str(problem))
        if report.problems_not_listed:
            self.stdout.write(f"... and {report.problems_not_listed:,} more not listed.")
        noun = "problem" if report.problem_count == 1 else "problems"
        self.stdout.write(
            f"{checked}: {report.problem_count:,} {noun} found. The audit log was changed "
            "outside Careloop, or the audit key (CARELOOP_AUDIT_KEY) is not the one it was "
            "written with."
        )
        raise SystemExit(1)
