"""Random membership histories for the billing property tests, and the invariants they check.

A script is a list of steps (an action and a number of days). Actions are tried on the day
the clock shows, as staff would try them: one the membership's status or terms refuse is
skipped. "advance" moves the clock forward and runs the billing run for the new day.
Everything a step schedules for after commit (collection) runs, as if it had committed.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Sum
from hypothesis import strategies as st

from careloop.accounts.models import User
from careloop.billing.models import (
    AttemptStatus,
    BillingAccount,
    Discount,
    EntryKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    JournalEntry,
    JournalLine,
    Ledger,
    LineKind,
    Notice,
    PaymentAttempt,
    Refund,
    RefundStatus,
)
from careloop.billing.selectors.balances import account_balance
from careloop.billing.services.collection import collect_after_new_card
from careloop.billing.services.discounts import discount_create, discount_redeem
from careloop.billing.services.invoices import invoice_mark_uncollectible, invoice_void
from careloop.billing.services.refunds import refund_create
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import (
    account_of,
    clinic_billing_day,
    committed,
    with_card,
)
from careloop.core.errors import CareloopError
from careloop.memberships.models import MemberRole, Membership, Plan
from careloop.memberships.periods import Interval
from careloop.memberships.services import lifecycle
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.memberships.tests.lifecycle_builders import (
    family,
    freeze_on,
    make_plan,
    make_reason,
)
from careloop.patients.models import Patient

START = date(2028, 1, 31)  # a 31st anchor in a leap year: clamped months and a 29-day February

MEMBERSHIP_ACTIONS = [
    "upgrade",
    "downgrade_now",
    "downgrade_at_end",
    "add_adult",
    "add_child",
    "remove_now",
    "remove_at_end",
    "pause",
    "resume",
    "cancel_now",
    "cancel_at_end",
    "reactivate",
    "interval",
    "redeem",
]
MONEY_ACTIONS = ["refund", "void", "uncollectible", "new_card"]
# Tried half as often: after them most other actions are refused.
RARE_ACTIONS = {"cancel_now", "cancel_at_end", "void", "uncollectible"}
CARDS = [
    "tok_sandbox_success",
    "tok_sandbox_success",
    "tok_sandbox_insufficient_funds",
    "tok_sandbox_timeout",
]

intervals = st.sampled_from([Interval.MONTHLY, Interval.QUARTERLY, Interval.ANNUAL])
billing_days = st.one_of(st.none(), st.integers(min_value=1, max_value=31))


def scripts(actions: list[str], max_size: int = 10) -> st.SearchStrategy[list[tuple[str, int]]]:
    return st.lists(
        st.one_of(
            st.tuples(
                st.sampled_from(actions + [a for a in actions if a not in RARE_ACTIONS]),
                st.integers(min_value=0, max_value=40),
            ),
            st.tuples(st.just("advance"), st.integers(min_value=1, max_value=45)),
        ),
        min_size=1,
        max_size=max_size,
    )


@dataclass
class Household:
    """One payer's membership on Essentials, Active Care or Concierge, and its story so far."""

    admin: User
    plans: tuple[Plan, ...]
    membership: Membership
    head: Patient
    partner: Patient
    child: Patient
    day: date
    skipped: list[str] = field(default_factory=list)

    @property
    def account(self) -> BillingAccount:
        return account_of(self.head)


def make_plans() -> tuple[Plan, ...]:
    return tuple(
        make_plan(
            code=code,
            rank=rank,
            monthly=10_000 * rank,
            quarterly=28_000 * rank,
            annual=100_000 * rank,
            pause_fee_per_month=1_000 if rank == 1 else 0,
        )
        for rank, code in enumerate(["essentials", "active-care", "concierge"], start=1)
    )


def start_household(
    admin: User,
    *,
    rank: int,
    interval: Interval,
    card: str,
    with_partner: bool,
    billing_day: int | None = None,
    plans: tuple[Plan, ...] | None = None,
) -> Household:
    """A household enrolled on START, anchored on that day or, given a clinic billing day,
    on the first such day after it (a stub period first)."""
    freeze_on(START)
    plans = plans or make_plans()
    head, partner, child = family()
    with_card(head, card)
    members = [MemberSpec(patient=head, role=MemberRole.PRIMARY)]
    if with_partner:
        members.append(MemberSpec(patient=partner, role=MemberRole.ADULT))
    clinic_billing_day(billing_day)
    with committed():
        membership = membership_enroll(
            actor=admin,
            plan=plans[rank - 1],
            interval=interval,
            payer_patient=head,
            members=members,
            start_date=START,
            anchor="start_day" if billing_day is None else "clinic_day",
        )
    return Household(admin, plans, membership, head, partner, child, START)


def _rank_plan(household: Household, step: int) -> Plan:
    current = household.membership.plan.rank
    return household.plans[min(max(current + step, 1), len(household.plans)) - 1]


def _member_action(household: Household, action: str, number: int) -> None:
    admin, membership = household.admin, household.membership
    if action == "upgrade":
        lifecycle.membership_upgrade(
            actor=admin, membership=membership, plan=_rank_plan(household, 1)
        )
    elif action in ("downgrade_now", "downgrade_at_end"):
        lifecycle.membership_downgrade(
            actor=admin,
            membership=membership,
            plan=_rank_plan(household, -1),
            at_period_end=action == "downgrade_at_end",
        )
    elif action in ("add_adult", "add_child"):
        lifecycle.membership_add_member(
            actor=admin,
            membership=membership,
            patient=household.partner if action == "add_adult" else household.child,
            role=MemberRole.ADULT if action == "add_adult" else MemberRole.CHILD,
        )
    elif action in ("remove_now", "remove_at_end"):
        lifecycle.membership_remove_member(
            actor=admin,
            membership=membership,
            patient=household.child if number % 2 else household.partner,
            at_period_end=action == "remove_at_end",
        )
    elif action == "pause":
        lifecycle.membership_pause(
            actor=admin,
            membership=membership,
            resumes_on=household.day + timedelta(days=number + 1),
        )
    elif action == "resume":
        lifecycle.membership_resume(actor=admin, membership=membership)
    elif action in ("cancel_now", "cancel_at_end"):
        lifecycle.membership_cancel(
            actor=admin,
            membership=membership,
            reason=make_reason(),
            at_period_end=action == "cancel_at_end",
        )
    elif action == "reactivate":
        lifecycle.membership_reactivate(actor=admin, membership=membership)
    elif action == "interval":
        choices = [choice for choice in Interval if choice != membership.interval]
        lifecycle.membership_change_interval(
            actor=admin, membership=membership, interval=choices[number % len(choices)]
        )
    elif action == "redeem":
        code = f"CODE{number}"
        if not Discount.objects.filter(code=code).exists():
            percent = number % 3 != 0
            discount_create(
                actor=admin,
                name=code,
                code=code,
                kind="percent" if percent else "amount",
                percent_off=10 + number if percent else None,
                amount_off=None if percent else 1_500 + number * 100,
                duration=["once", "periods", "forever"][number % 3],
                periods=2 if number % 3 == 1 else None,
            )
        discount_redeem(actor=admin, membership=membership, code=code)


def _money_action(household: Household, action: str, number: int) -> None:
    admin = household.admin
    invoices = list(Invoice.objects.filter(account=household.account).order_by("id"))
    if action == "refund":
        paid = list(
            PaymentAttempt.objects.filter(
                account=household.account, status=AttemptStatus.SUCCEEDED
            ).order_by("id")
        )
        if paid:
            attempt = paid[number % len(paid)]
            amount = max((attempt.amount - attempt.amount_refunded) * (number % 4 + 1) // 4, 1)
            refund_create(actor=admin, attempt=attempt, amount=amount, reason="Goodwill")
    elif action == "void" and invoices:
        invoice_void(actor=admin, invoice=invoices[number % len(invoices)], reason="Waived")
    elif action == "uncollectible" and invoices:
        invoice_mark_uncollectible(
            actor=admin, invoice=invoices[number % len(invoices)], reason="Gave up"
        )
    elif action == "new_card":
        with_card(household.head, CARDS[number % len(CARDS)])
        collect_after_new_card(household.account, admin)


def play(household: Household, script: list[tuple[str, int]], after_each=None) -> None:
    """Play the script; `after_each(household)` checks the invariants after every step."""
    for action, number in script:
        if action == "advance":
            household.day += timedelta(days=number)
            freeze_on(household.day)
            with committed():
                billing_run(as_of=household.day)
        else:
            freeze_on(household.day)
            try:
                with committed():
                    if action in MONEY_ACTIONS:
                        _money_action(household, action, number)
                    else:
                        _member_action(household, action, number)
            except CareloopError as error:
                household.skipped.append(f"{action}: {error.code}")
        household.membership.refresh_from_db()
        if after_each is not None:
            after_each(household)


def _sum(query, field_name: str = "amount") -> int:
    return int(query.aggregate(total=Sum(field_name))["total"] or 0)


def assert_credits_within_charges(household: Household) -> None:
    """No charge line is credited back more than it billed after its discounts, and the payer
    never has negative credit nor owes a negative amount."""
    charges = InvoiceLine.objects.filter(
        membership=household.membership, kind__in=[LineKind.PERIOD, LineKind.PRORATION_CHARGE]
    ).exclude(invoice__status=InvoiceStatus.VOID)
    for line in charges:
        against = InvoiceLine.objects.filter(credits_line=line).exclude(
            invoice__status=InvoiceStatus.VOID
        )
        credited = -_sum(against.filter(kind=LineKind.PRORATION_CREDIT))
        discounted = -_sum(against.filter(kind=LineKind.DISCOUNT))
        assert credited >= 0
        assert discounted >= 0
        assert credited + discounted <= line.amount, (line.pk, line.amount, credited, discounted)
    balance = account_balance(household.account)
    assert balance.credit >= 0
    assert balance.owed >= 0


def assert_journal_balances(account: BillingAccount) -> None:
    """Every entry adds up to zero, and the payer's ledgers agree with the invoices: what is
    receivable is what open invoices still owe, and the credit is what credit notes gave less
    what invoices and refunds used of it."""
    for entry in JournalEntry.objects.filter(lines__account=account).distinct():
        assert _sum(entry.lines.all()) == 0, entry.key
    invoices = Invoice.objects.filter(account=account)
    owed = sum(
        invoice.amount_due
        for invoice in invoices.filter(status__in=[InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE])
    )
    issued = invoices.exclude(status=InvoiceStatus.DRAFT)
    credit_given = sum(max(-invoice.subtotal, 0) for invoice in issued)
    credit_used = sum(
        invoice.credit_applied for invoice in issued.exclude(status=InvoiceStatus.VOID)
    )
    refunded_from_credit = _sum(
        JournalLine.objects.filter(
            account=account, ledger=Ledger.CREDIT, entry__kind=EntryKind.REFUND
        )
    )
    payer = JournalLine.objects.filter(account=account)
    receivable = _sum(payer.filter(ledger=Ledger.RECEIVABLE))
    credit = -_sum(payer.filter(ledger=Ledger.CREDIT))
    assert receivable == owed
    assert credit == credit_given - credit_used - refunded_from_credit
    assert receivable - credit == owed - credit
    balance = account_balance(account)
    assert (balance.owed, balance.credit) == (owed, credit)
    assert credit >= 0


def assert_clinic_ledgers_agree() -> None:
    """Cash is what succeeded payments took less succeeded refunds; revenue is what the
    issued invoices that stand billed; all ledgers together add up to zero."""
    cash = _sum(PaymentAttempt.objects.filter(status=AttemptStatus.SUCCEEDED)) - _sum(
        Refund.objects.filter(status=RefundStatus.SUCCEEDED)
    )
    assert _sum(JournalLine.objects.filter(ledger=Ledger.CASH)) == cash
    standing = Invoice.objects.exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID])
    assert _sum(JournalLine.objects.filter(ledger=Ledger.REVENUE)) == -_sum(standing, "subtotal")
    assert _sum(JournalLine.objects.all()) == 0


def billing_rows() -> dict[str, object]:
    """What a billing run writes, to compare before and after a re-run."""
    return {
        "invoices": list(Invoice.objects.order_by("id").values()),
        "lines": InvoiceLine.objects.count(),
        "journal": JournalEntry.objects.count(),
        "journal_lines": JournalLine.objects.count(),
        "attempts": list(PaymentAttempt.objects.order_by("id").values()),
        "notices": Notice.objects.count(),
        "memberships": list(Membership.objects.order_by("id").values("id", "status")),
    }
