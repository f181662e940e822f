"""The first invoice, issued at enrollment: the enrollment fee once, and the first period in
full (anchored on the start day) or as a prorated stub to the clinic's billing day."""

from datetime import date

import pytest

from careloop.billing.models import InvoiceKind, InvoiceStatus
from careloop.billing.tests.builders import (
    billing_of,
    clinic_billing_day,
    invoices_of,
    line_dates,
    lines,
    with_card,
)
from careloop.memberships.models import MembershipStatus
from careloop.memberships.periods import Interval
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


def test_enrollment_bills_the_fee_and_a_full_first_period_anchored_on_the_start_day(
    admin, django_capture_on_commit_callbacks
):
    freeze_on(date(2028, 1, 31))
    plan = make_plan(code="essentials", rank=1, monthly=10_000, enrollment_fee=5_000)
    ann = make_patient(given="Ann")
    with_card(ann)
    with django_capture_on_commit_callbacks(execute=True):
        membership = enroll(admin, plan, ann, start=date(2028, 1, 31), active=False)
    [invoice] = invoices_of(membership)
    assert invoice.kind == InvoiceKind.ENROLLMENT
    assert lines(invoice) == [("enrollment_fee", 5_000), ("period", 10_000)]
    assert line_dates(invoice)[1] == ("period", date(2028, 1, 31), date(2028, 2, 29))
    assert (invoice.period_start, invoice.period_end) == (date(2028, 1, 31), date(2028, 2, 29))
    assert invoice.total == 15_000
    assert invoice.status == InvoiceStatus.PAID
    assert billing_of(membership).next_bill_on == date(2028, 2, 29)
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE


def test_without_a_card_the_first_invoice_waits_open_and_the_membership_pending(admin):
    freeze_on(date(2026, 3, 10))
    plan = make_plan(code="essentials", rank=1, monthly=10_000)
    ann = make_patient(given="Ann")
    membership = enroll(admin, plan, ann, start=date(2026, 3, 10), active=False)
    [invoice] = invoices_of(membership)
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.amount_due == 10_000
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.PENDING


@pytest.mark.parametrize(
    ("start", "billing_day", "interval", "stub_end", "amount"),
    [
        # 22 of January's 31 days: 10000 x 22 / 31 = 7096.77 -> 7097
        (date(2026, 1, 10), 1, Interval.MONTHLY, date(2026, 2, 1), 7_097),
        # Feb 2028 has 29 days; 20 of them: 10000 x 20 / 29 = 6896.55 -> 6897
        (date(2028, 2, 10), 1, Interval.MONTHLY, date(2028, 3, 1), 6_897),
        # The 29th-31st clamp to February's end: anchor Feb 28 2026, 29 of January's 31 days
        # from Jan 30 to Feb 28: the containing period is [Jan 28, Feb 28) of 31 days.
        (date(2026, 1, 30), 28, Interval.MONTHLY, date(2026, 2, 28), 9_355),
        # Quarterly, containing period [Nov 1, Feb 1) = 92 days; 17 days: 28000 x 17 / 92
        (date(2026, 1, 15), 1, Interval.QUARTERLY, date(2026, 2, 1), 5_174),
        # Annual, containing [Mar 1 2027, Mar 1 2028) = 366 days; 20 days: 100000 x 20 / 366
        (date(2028, 2, 10), 1, Interval.ANNUAL, date(2028, 3, 1), 5_464),
        # Annual, containing [Mar 15 2026, Mar 15 2027) = 365 days; 14 days
        (date(2027, 3, 1), 15, Interval.ANNUAL, date(2027, 3, 15), 3_836),
    ],
)
def test_a_start_before_the_clinic_billing_day_bills_a_prorated_stub(
    admin, start, billing_day, interval, stub_end, amount
):
    freeze_on(start)
    clinic_billing_day(billing_day)
    plan = make_plan(code="essentials", rank=1, monthly=10_000, quarterly=28_000, annual=100_000)
    ann = make_patient(given="Ann")
    from careloop.memberships.models import MemberRole
    from careloop.memberships.services.enrollment import MemberSpec, membership_enroll

    membership = membership_enroll(
        actor=admin,
        plan=plan,
        interval=interval,
        payer_patient=ann,
        members=[MemberSpec(patient=ann, role=MemberRole.PRIMARY)],
        start_date=start,
        anchor="clinic_day",
    )
    [invoice] = invoices_of(membership)
    assert line_dates(invoice) == [("period", start, stub_end)]
    assert lines(invoice) == [("period", amount)]
    assert billing_of(membership).next_bill_on == stub_end


def test_the_enrollment_fee_is_never_repeated_on_renewals(admin):
    from careloop.billing.services.runs import billing_run

    freeze_on(date(2026, 1, 1))
    plan = make_plan(code="essentials", rank=1, monthly=10_000, enrollment_fee=5_000)
    ann = make_patient(given="Ann")
    with_card(ann)
    membership = enroll(admin, plan, ann, start=date(2026, 1, 1))
    freeze_on(date(2026, 3, 1))
    billing_run(as_of=date(2026, 3, 1))
    kinds = [kind for invoice in invoices_of(membership) for kind, _ in lines(invoice)]
    assert kinds.count("enrollment_fee") == 1
    assert [invoice.period_start for invoice in invoices_of(membership)] == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
