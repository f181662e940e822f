"""A plan that does not renew (Plan.renews False) ends with its term: the enrollment schedules
the cancellation for the term's end, the payer is told it ends, and the run on that day
cancels it and bills no renewal.

Essentials Annual Term: 100000 a year from January 1 2026, a twelve-month commitment with an
early-termination fee of 5000 (not due at the end of the term).
"""

from datetime import date

import pytest

from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import billing_of, invoices_of, lines, with_card
from careloop.memberships.models import ChangeKind, ChangeStatus, MembershipStatus
from careloop.memberships.periods import Interval
from careloop.memberships.tests.lifecycle_builders import enroll, family, freeze_on, make_plan
from careloop.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def term_member(admin):
    freeze_on(date(2026, 1, 1))
    plan = make_plan(
        code="annual-term",
        rank=1,
        annual=100_000,
        renews=False,
        minimum_commitment_months=12,
        early_termination_fee=5_000,
    )
    head, _, _ = family()
    with_card(head)
    return enroll(admin, plan, head, start=date(2026, 1, 1), interval=Interval.ANNUAL)


def test_enrolling_schedules_the_cancellation_for_the_end_of_the_term(term_member):
    [change] = term_member.scheduled_changes.all()
    assert (change.kind, change.status, change.effective_on) == (
        ChangeKind.CANCEL,
        ChangeStatus.SCHEDULED,
        date(2027, 1, 1),
    )
    assert [lines(invoice) for invoice in invoices_of(term_member)] == [[("period", 100_000)]]


def test_the_payer_is_told_the_membership_ends_not_that_it_renews(term_member):
    freeze_on(date(2026, 12, 2))
    billing_run(as_of=date(2026, 12, 2))
    [notice] = OutboxMessage.objects.filter(kind="billing.renewal")
    assert "ends on January 1, 2027" in notice.body
    assert "renews" not in notice.body


def test_the_membership_ends_at_the_term_end_with_no_renewal_invoice_and_no_fee(term_member):
    freeze_on(date(2027, 1, 1))
    billing_run(as_of=date(2027, 1, 1))
    term_member.refresh_from_db()
    assert term_member.status == MembershipStatus.CANCELLED
    assert term_member.cancelled_on == date(2027, 1, 1)
    assert set(term_member.members.values_list("left_on", flat=True)) == {date(2027, 1, 1)}
    assert len(invoices_of(term_member)) == 1
    assert billing_of(term_member).next_bill_on is None
    freeze_on(date(2027, 2, 1))
    billing_run(as_of=date(2027, 2, 1))
    assert len(invoices_of(term_member)) == 1


def test_a_run_days_after_the_term_end_still_ends_it_without_a_renewal(term_member):
    freeze_on(date(2027, 1, 9))
    billing_run(as_of=date(2027, 1, 9))
    term_member.refresh_from_db()
    assert (term_member.status, term_member.cancelled_on) == (
        MembershipStatus.CANCELLED,
        date(2027, 1, 1),
    )
    assert len(invoices_of(term_member)) == 1
