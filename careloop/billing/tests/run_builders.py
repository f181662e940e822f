"""Memberships due for a billing run, runs in subprocesses, and what the gateway was asked.

The crash and concurrency tests run `careloop billing` in subprocesses against the test
database (careloop.testing.processes); they use transactional_db so the subprocess sees the
rows and the test sees what it wrote. A subprocess cannot share the test's frozen clock, so
each is started with CARELOOP_CLOCK_AT, the instant its clock stands at.

The run day is March 1 2026. Everyone enrolls in Essentials (10000 a month) on February 1
with a card that pays, so their second period is due on March 1; the card each payer has on
file by then decides how that charge goes.
"""

import subprocess
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db.models import Sum

from careloop.accounts.models import User
from careloop.billing.models import Invoice, JournalLine, PaymentAttempt, SandboxRecord
from careloop.billing.tests.builders import CARD, with_card
from careloop.memberships.models import Membership, Plan
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient
from careloop.testing.processes import careloop_command, careloop_environment, run_careloop

RUN_DAY = date(2026, 3, 1)
# 05:00 in the clinic's time zone (America/Chicago) on the run day; the restarted processes
# run later that morning, past the five minutes after which an unanswered charge is settled.
RUN_AT = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
PRICE = 10_000

PAYS = CARD
DECLINES = "tok_sandbox_insufficient_funds"
EXPIRED = "tok_sandbox_expired"
TIMES_OUT_BUT_PAYS = "tok_sandbox_timeout"


@dataclass(frozen=True)
class Due:
    membership: Membership
    card: str


def essentials() -> Plan:
    return make_plan(code="essentials", rank=2, monthly=PRICE)


def enroll_due(admin: User, plan: Plan, cards: list[str]) -> list[Due]:
    """One member per card, enrolled on February 1 (that first period paid at once) and due
    again on the run day, with `card` as the card on file by then."""
    freeze_on(date(2026, 2, 1))
    due = []
    for number, card in enumerate(cards):
        payer = make_patient(given="Member", family=f"Due{number:03d}")
        with_card(payer)
        membership = enroll(admin, plan, payer, start=date(2026, 2, 1))
        if card != PAYS:
            with_card(payer, card)
        due.append(Due(membership, card))
    return due


def environment_at(instant: datetime, **variables: str) -> dict[str, str]:
    return careloop_environment(CARELOOP_CLOCK_AT=instant.isoformat(), **variables)


def billing(*arguments: str, at: datetime, **variables: str) -> subprocess.CompletedProcess[str]:
    return run_careloop("billing", *arguments, environment=environment_at(at, **variables))


def billing_started(*arguments: str, at: datetime, **variables: str) -> subprocess.Popen[str]:
    """A `careloop billing` process running in the background."""
    return subprocess.Popen(
        careloop_command("billing", *arguments),
        env=environment_at(at, **variables),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def period_invoices(membership: Membership) -> list[Invoice]:
    return list(Invoice.objects.filter(membership=membership, period_start=RUN_DAY))


def gateway_charges(invoice: Invoice) -> list[SandboxRecord]:
    """What the gateway was asked to charge for an invoice (declines included)."""
    keys = PaymentAttempt.objects.filter(invoice=invoice).values_list("idempotency_key")
    return list(SandboxRecord.objects.filter(kind="charge", idempotency_key__in=keys))


def charges_taken(invoice: Invoice) -> int:
    """Charges the gateway took for an invoice (a timed-out charge went through)."""
    return sum(1 for record in gateway_charges(invoice) if record.outcome in ("success", "timeout"))


def attempt_statuses(invoice: Invoice) -> Counter[str]:
    return Counter(PaymentAttempt.objects.filter(invoice=invoice).values_list("status", flat=True))


def journal_sum() -> int:
    return int(JournalLine.objects.aggregate(total=Sum("amount"))["total"] or 0)
