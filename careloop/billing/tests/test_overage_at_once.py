"""With the clinic setting "at once", uses beyond the allowance get a fees invoice of their own
from the sweep (services/overage.py), run by the payments task and by every billing run; each
use is billed once, and the renewal invoice does not bill it again.

Essentials, monthly, 10000 from January 1 2026, includes one provider visit a month; a visit
beyond it costs members 6000.
"""

from datetime import date

import pytest

from careloop.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    OverageBilling,
    PaymentAttempt,
)
from careloop.billing.services.overage import overage_invoice_due
from careloop.billing.services.runs import billing_run
from careloop.billing.tasks import payments_settle
from careloop.billing.tests.builders import committed, invoices_of, journal_sum, lines, with_card
from careloop.memberships.models import Benefit, Membership, Service
from careloop.memberships.services.entitlements import entitlement_consume, entitlement_reverse
from careloop.memberships.services.lifecycle import membership_cancel
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan, make_reason
from careloop.patients.models import Patient
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(db) -> Service:
    return Service.objects.create(
        code="provider-visit", name="Provider visit", kind="provider_visit", a_la_carte_price=15_000
    )


@pytest.fixture
def member(admin, visit) -> tuple[Membership, Patient]:
    freeze_on(date(2026, 1, 1))
    BillingSettings.objects.create(overage_billing=OverageBilling.AT_ONCE)
    plan = make_plan(code="essentials", rank=1, monthly=10_000)
    Benefit.objects.create(plan=plan, service=visit, allowance=1, member_price=6_000)
    ann = make_patient(given="Ann")
    with_card(ann)
    with committed():
        membership = enroll(admin, plan, ann, start=date(2026, 1, 1))
    return membership, ann


def _visit(ann: Patient, visit: Service, on: date, number: str) -> None:
    freeze_on(on)
    entitlement_consume(
        actor=None, patient=ann, service=visit, on=on, source_type="visit", source_id=number
    )


def _fees(membership: Membership) -> list[Invoice]:
    return [invoice for invoice in invoices_of(membership) if invoice.kind == InvoiceKind.FEES]


def test_the_sweep_invoices_uses_beyond_the_allowance_at_once_and_collects_them(
    admin, member, visit
):
    _, ann = member
    _visit(ann, visit, date(2026, 1, 5), "v1")
    _visit(ann, visit, date(2026, 1, 12), "v2")
    _visit(ann, visit, date(2026, 1, 13), "v3")
    with committed():
        [invoice] = overage_invoice_due(as_of=date(2026, 1, 13))
    assert invoice.kind == InvoiceKind.FEES
    assert lines(invoice) == [("overage", 6_000), ("overage", 6_000)]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert PaymentAttempt.objects.get(invoice=invoice).amount == 12_000
    assert journal_sum() == 0


def test_the_sweep_run_again_issues_nothing_and_a_later_use_gets_its_own_invoice(
    admin, member, visit
):
    membership, ann = member
    _visit(ann, visit, date(2026, 1, 5), "v1")
    _visit(ann, visit, date(2026, 1, 12), "v2")
    assert len(overage_invoice_due(as_of=date(2026, 1, 12))) == 1
    assert overage_invoice_due(as_of=date(2026, 1, 12)) == []
    _visit(ann, visit, date(2026, 1, 20), "v3")
    [later] = overage_invoice_due(as_of=date(2026, 1, 20))
    assert lines(later) == [("overage", 6_000)]
    assert overage_invoice_due(as_of=date(2026, 1, 20)) == []
    assert [lines(invoice) for invoice in _fees(membership)] == [
        [("overage", 6_000)],
        [("overage", 6_000)],
    ]


def test_a_use_dated_after_the_sweep_day_waits_for_its_day(admin, member, visit):
    _, ann = member
    _visit(ann, visit, date(2026, 1, 5), "v1")
    _visit(ann, visit, date(2026, 1, 12), "v2")
    assert overage_invoice_due(as_of=date(2026, 1, 11)) == []
    assert len(overage_invoice_due(as_of=date(2026, 1, 12))) == 1


def test_a_reversed_use_is_not_swept(admin, member, visit):
    _, ann = member
    _visit(ann, visit, date(2026, 1, 5), "v1")
    _visit(ann, visit, date(2026, 1, 12), "v2")
    entitlement_reverse(actor=None, source_type="visit", source_id="v2", reason="Waived")
    assert overage_invoice_due(as_of=date(2026, 1, 12)) == []


def test_the_renewal_does_not_bill_again_what_the_sweep_billed(admin, member, visit):
    membership, ann = member
    _visit(ann, visit, date(2026, 1, 5), "v1")
    _visit(ann, visit, date(2026, 1, 12), "v2")
    payments_settle.call()
    assert [lines(invoice) for invoice in _fees(membership)] == [[("overage", 6_000)]]
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    assert lines(invoices_of(membership)[-1]) == [("period", 10_000)]
    assert InvoiceLine.objects.filter(kind=LineKind.OVERAGE).count() == 1


def test_the_billing_run_sweeps_uses_beyond_the_allowance_of_a_cancelled_membership(
    admin, member, visit
):
    membership, ann = member
    _visit(ann, visit, date(2026, 1, 5), "v1")
    _visit(ann, visit, date(2026, 1, 12), "v2")
    membership_cancel(actor=admin, membership=membership, reason=make_reason())
    freeze_on(date(2026, 1, 13))
    billing_run(as_of=date(2026, 1, 13))
    assert [lines(invoice) for invoice in _fees(membership)] == [[("overage", 6_000)]]
    before = Invoice.objects.count()
    billing_run(as_of=date(2026, 1, 13))
    assert Invoice.objects.count() == before


def test_with_overage_on_the_next_invoice_the_sweep_does_nothing(admin, member, visit):
    membership, ann = member
    BillingSettings.objects.update(overage_billing=OverageBilling.NEXT_INVOICE)
    _visit(ann, visit, date(2026, 1, 5), "v1")
    _visit(ann, visit, date(2026, 1, 12), "v2")
    assert overage_invoice_due(as_of=date(2026, 1, 12)) == []
    assert _fees(membership) == []
