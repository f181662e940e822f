"""Employer sponsors: one invoice per sponsor per month, a line per member prorated by the days
of the month they were covered, issued by the first billing run after the month ends (when
every mid-month addition and termination is known); a sponsor paying a fixed share leaves the
remainder on the member's own invoice; a re-run for the same month creates nothing.

Essentials: 10000 a month. March 2026 has 31 days.
"""

from datetime import date

import pytest

from careloop.billing.models import Invoice, InvoiceKind, InvoiceStatus
from careloop.billing.services.accounts import billing_account_for
from careloop.billing.services.runs import billing_run
from careloop.billing.services.sponsors import sponsor_invoices_issue
from careloop.billing.tests.builders import invoices_of, journal_sum, lines
from careloop.core import clock
from careloop.memberships.models import MemberRole, Membership, Plan, RosterEntry, Sponsor
from careloop.memberships.periods import Interval
from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
from careloop.memberships.services.lifecycle import membership_cancel
from careloop.memberships.tests.lifecycle_builders import freeze_on, make_plan, make_reason
from careloop.patients.models import Patient
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def essentials(db) -> Plan:
    freeze_on(date(2026, 2, 1))
    return make_plan(code="essentials", rank=1, monthly=10_000, quarterly=28_000)


def _sponsor(plan: Plan, **fields) -> Sponsor:
    sponsor = Sponsor.objects.create(name="Acme Works", created_at=clock.now(), **fields)
    sponsor.plans.add(plan)
    return sponsor


def _employee(
    actor,
    sponsor: Sponsor,
    plan: Plan,
    given: str,
    start: date,
    interval: Interval = Interval.MONTHLY,
) -> tuple[Membership, Patient]:
    patient = make_patient(given=given)
    RosterEntry.objects.create(
        sponsor=sponsor, patient=patient, effective_on=date(2026, 1, 1), created_at=clock.now()
    )
    freeze_on(start)
    membership = membership_enroll(
        actor=actor,
        plan=plan,
        interval=interval,
        sponsor=sponsor,
        members=[MemberSpec(patient=patient, role=MemberRole.PRIMARY)],
        start_date=start,
    )
    return membership, patient


def _run_on(*days: date) -> None:
    for day in days:
        freeze_on(day)
        billing_run(as_of=day)


def _sponsor_invoices(sponsor: Sponsor) -> list[Invoice]:
    return list(
        Invoice.objects.filter(
            account=billing_account_for(sponsor=sponsor), kind=InvoiceKind.SPONSOR
        ).order_by("period_start")
    )


def _by_member(invoice: Invoice) -> list[tuple[int | None, date | None, date | None, int]]:
    return [
        (line.patient_id, line.service_start, line.service_end, line.amount)
        for line in invoice.lines.order_by("id")
    ]


def test_one_invoice_a_month_with_members_added_and_terminated_mid_month_prorated(
    admin, essentials
):
    sponsor = _sponsor(essentials)
    _, wanda = _employee(admin, sponsor, essentials, "Wanda", date(2026, 2, 1))
    yara_membership, yara = _employee(admin, sponsor, essentials, "Yara", date(2026, 2, 1))
    _run_on(date(2026, 3, 1))
    _, xavier = _employee(admin, sponsor, essentials, "Xavier", date(2026, 3, 10))
    _run_on(date(2026, 3, 10))
    freeze_on(date(2026, 3, 20))
    membership_cancel(actor=admin, membership=yara_membership, reason=make_reason())
    _run_on(date(2026, 3, 20), date(2026, 4, 1), date(2026, 4, 2))
    february, march = _sponsor_invoices(sponsor)
    assert (february.period_start, february.period_end) == (date(2026, 2, 1), date(2026, 3, 1))
    assert _by_member(february) == [
        (wanda.pk, date(2026, 2, 1), date(2026, 3, 1), 10_000),
        (yara.pk, date(2026, 2, 1), date(2026, 3, 1), 10_000),
    ]
    assert (march.period_start, march.period_end) == (date(2026, 3, 1), date(2026, 4, 1))
    assert _by_member(march) == [
        (wanda.pk, date(2026, 3, 1), date(2026, 4, 1), 10_000),
        # Covered March 1 to 19: 19 of 31 days, 10000 x 19 / 31 = 6129.03 -> 6129.
        (yara.pk, date(2026, 3, 1), date(2026, 3, 20), 6_129),
        # Covered March 10 to 31: 22 of 31 days, 10000 x 22 / 31 = 7096.77 -> 7097.
        (xavier.pk, date(2026, 3, 10), date(2026, 4, 1), 7_097),
    ]
    assert march.total == 23_226
    assert march.status == InvoiceStatus.OPEN
    assert (march.issued_on, march.due_on) == (date(2026, 4, 1), date(2026, 5, 1))
    assert journal_sum() == 0


def test_a_rerun_for_the_same_month_creates_nothing(admin, essentials):
    sponsor = _sponsor(essentials)
    _employee(admin, sponsor, essentials, "Wanda", date(2026, 2, 1))
    freeze_on(date(2026, 3, 1))
    assert len(sponsor_invoices_issue(as_of=date(2026, 3, 1))) == 1
    assert sponsor_invoices_issue(as_of=date(2026, 3, 1)) == []
    assert sponsor_invoices_issue(as_of=date(2026, 3, 31)) == []
    billing_run(as_of=date(2026, 3, 1))
    assert len(_sponsor_invoices(sponsor)) == 1


def test_the_sponsor_pays_a_fully_sponsored_members_share_and_the_member_gets_no_invoice(
    admin, essentials
):
    sponsor = _sponsor(essentials)
    membership, _ = _employee(admin, sponsor, essentials, "Wanda", date(2026, 2, 1))
    _run_on(date(2026, 3, 1))
    assert invoices_of(membership) == []
    membership.refresh_from_db()
    assert membership.status == "active"


def test_a_fixed_share_leaves_the_remainder_on_the_members_own_invoice(admin, essentials):
    sponsor = _sponsor(essentials, share="fixed", fixed_share_amount=7_500)
    membership, wanda = _employee(admin, sponsor, essentials, "Wanda", date(2026, 2, 1))
    # The member pays 10000 - 7500 = 2500 a month, in advance on her own invoices.
    assert lines(invoices_of(membership)[0]) == [("period", 2_500)]
    assert invoices_of(membership)[0].account == billing_account_for(patient=wanda)
    _run_on(date(2026, 3, 1))
    assert lines(invoices_of(membership)[-1]) == [("period", 2_500)]
    [february] = _sponsor_invoices(sponsor)
    assert lines(february) == [("sponsor_share", 7_500)]


def test_a_fixed_share_of_a_quarterly_member_is_per_month(admin, essentials):
    sponsor = _sponsor(essentials, share="fixed", fixed_share_amount=7_500)
    membership, _ = _employee(
        admin, sponsor, essentials, "Wanda", date(2026, 2, 1), Interval.QUARTERLY
    )
    # The quarter costs 28000; the sponsor pays 7500 x 3 = 22500 of it, the member 5500.
    assert lines(invoices_of(membership)[0]) == [("period", 5_500)]
    _run_on(date(2026, 3, 1))
    [february] = _sponsor_invoices(sponsor)
    assert lines(february) == [("sponsor_share", 7_500)]


def test_a_fixed_share_above_the_price_is_capped_at_the_price(admin, essentials):
    sponsor = _sponsor(essentials, share="fixed", fixed_share_amount=12_000)
    membership, _ = _employee(admin, sponsor, essentials, "Wanda", date(2026, 2, 1))
    assert invoices_of(membership) == []
    _run_on(date(2026, 3, 1))
    [february] = _sponsor_invoices(sponsor)
    assert lines(february) == [("sponsor_share", 10_000)]
