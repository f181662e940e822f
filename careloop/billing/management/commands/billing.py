"""`careloop billing`: billing runs from the command line.

    careloop billing run [--as-of YYYY-MM-DD]    a whole run in this process, then its summary
    careloop billing start [--as-of YYYY-MM-DD]  prepare a run for several workers; prints its id
    careloop billing work RUN_ID                 one worker of that run (start several at once)
    careloop billing finish RUN_ID               close the run once its workers are done
    careloop billing settle                      ask the gateway about charges left unanswered

`run` and `finish` exit with status 1 when the run recorded errors (memberships it could not
bill), after printing the summary, so a scheduler notices.
"""

import re
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careloop.billing.errors import BillingRunFinished
from careloop.billing.models import BillingRun
from careloop.billing.services.collection import payment_attempts_settle
from careloop.billing.services.runs import (
    billing_run,
    billing_run_close,
    billing_run_prepare,
    billing_run_work,
    memberships_still_due,
    pending_attempts,
)
from careloop.core import clock
from careloop.core.selectors import clinic_settings
from careloop.memberships.selectors.memberships import money


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def run_summary(run: BillingRun) -> list[str]:
    """The run as a clinic's operator reads it."""
    currency = clinic_settings().currency
    lines = [
        f"Billing run {run.pk} as of {run.as_of.isoformat()}: {run.get_status_display().lower()}.",
        f"Memberships billed: {run.memberships_seen}",
        f"Invoices issued: {run.invoices_issued} for {money(run.amount_invoiced, currency)}",
        f"Charges: {run.charges_succeeded} succeeded, {run.charges_failed} failed; "
        f"{money(run.amount_collected, currency)} collected",
        f"Retries of failed payments: {run.retries}",
    ]
    if run.errors:
        lines.append(
            f"Errors: {_plural(run.errors, 'membership')} could not be billed. "
            f"Last: {run.last_error}"
        )
    else:
        lines.append("Errors: none")
    still_due = memberships_still_due(run)
    if still_due:
        lines.append(
            f"Still due: {_plural(still_due, 'membership')} not billed; run billing again "
            "(a worker may have stopped) or see the errors."
        )
    return lines


class Command(BaseCommand):
    help = (
        "Billing runs: issue every due invoice and charge it. `run` does a whole run; "
        "`start`, `work` (in as many processes as you like) and `finish` share one run "
        "between workers; `settle` asks the gateway about charges it did not answer."
    )

    # Several workers start at once, every day: the system checks (URLs, templates, models)
    # belong to `careloop check` and the server's start-up, and would cost each worker a
    # second and a half.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        run = actions.add_parser("run", help="Run billing in this process and print a summary.")
        start = actions.add_parser(
            "start", help="Prepare a run for workers to share and print its id."
        )
        for action in (run, start):
            action.add_argument(
                "--as-of",
                dest="as_of",
                metavar="YYYY-MM-DD",
                help="Bill every period started by this day (default today; never later).",
            )
        work = actions.add_parser("work", help="Work on a started run until nothing is left.")
        finish = actions.add_parser(
            "finish", help="Close a run once its workers are done and print its summary."
        )
        for action in (work, finish):
            action.add_argument("run_id", metavar="RUN_ID", help="The id `start` printed.")
        actions.add_parser("settle", help="Ask the gateway about charges it did not answer.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "settle":
            self._settle()
            return
        if action in ("run", "start"):
            as_of = _as_of(options["as_of"])
            if action == "start":
                self.stdout.write(str(billing_run_prepare(as_of=as_of).pk))
                return
            self._report(billing_run(as_of=as_of))
            return
        run = _run(options["run_id"])
        try:
            if action == "work":
                billed = billing_run_work(run=run)
                self.stdout.write(
                    f"Billing run {run.pk}: this worker billed {_plural(billed, 'membership')}."
                )
                return
            self._report(billing_run_close(run=run))
        except BillingRunFinished as error:
            raise CommandError(f"RUN_ID: {error.message}") from error

    def _report(self, run: BillingRun) -> None:
        for line in run_summary(run):
            self.stdout.write(line)
        if run.errors:
            raise CommandError(
                f"Billing run {run.pk} recorded {_plural(run.errors, 'error')}; see the log.",
                returncode=1,
            )

    def _settle(self) -> None:
        settled = payment_attempts_settle()
        waiting = pending_attempts()
        self.stdout.write(
            f"Settled {_plural(settled, 'charge')} whose outcome was unknown; "
            f"{waiting} still waiting for an answer."
        )


def _as_of(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--as-of must be a date written YYYY-MM-DD, such as 2026-03-01, not {text!r}."
        ) from None
    today = clock.today()
    if day > today:
        raise CommandError(
            f"--as-of must not be after today ({today.isoformat()}): a run cannot bill "
            "periods that have not started."
        )
    return day


def _run(text: str) -> BillingRun:
    if not text.isdigit():
        raise CommandError(f"RUN_ID must be a billing run's number, not {text!r}.")
    run = BillingRun.objects.filter(pk=int(text)).first()
    if run is None:
        raise CommandError(
            f"RUN_ID: there is no billing run {text}; `careloop billing start` prints the id "
            "of a new one."
        )
    return run
