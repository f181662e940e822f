"""A plan that does not renew ends with its term: the cancellation is scheduled for the term's
end when the term is billed, visible and revocable, and no renewal is invoiced."""

from datetime import date

import pytest

from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import billing_of, invoices_of, with_card
from careloop.memberships.models import ChangeKind, MembershipStatus, ScheduledChange
from careloop.memberships.periods import Interval
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


def test_an_annual_plan_that_does_not_renew_ends_after_its_year(admin):
    freeze_on(date(2026, 3, 1))
    plan = make_plan(code="annual-reset", rank=1, annual=100_000, renews=False)
    ann = make_patient(given="Ann")
    with_card(ann)
    membership = enroll(admin, plan, ann, start=date(2026, 3, 1), interval=Interval.ANNUAL)
    [cancel] = ScheduledChange.objects.filter(membership=membership, kind=ChangeKind.CANCEL)
    assert cancel.effective_on == date(2027, 3, 1)
    freeze_on(date(2027, 3, 1))
    billing_run(as_of=date(2027, 3, 1))
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.CANCELLED
    assert len(invoices_of(membership)) == 1
    assert billing_of(membership).next_bill_on is None
