"""Uses beyond the allowance, recorded by the entitlement ledger (entitlement_consume writes an
OVERAGE entry at the member price), are charged on the next renewal invoice, once: a re-run
bills them no second time, and a reversed use is not billed.

Essentials, monthly, 10000 from January 1 2026, includes one provider visit a month; a visit
beyond it costs members 6000.
"""

from datetime import date

import pytest

from careloop.billing.models import Invoice, InvoiceLine, LineKind
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import invoices_of, lines, with_card
from careloop.memberships.models import Benefit, EntryKind, Membership, Service
from careloop.memberships.services.entitlements import entitlement_consume, entitlement_reverse
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
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
    plan = make_plan(code="essentials", rank=1, monthly=10_000)
    Benefit.objects.create(plan=plan, service=visit, allowance=1, member_price=6_000)
    ann = make_patient(given="Ann")
    with_card(ann)
    return enroll(admin, plan, ann, start=date(2026, 1, 1)), ann


def _visit(ann: Patient, visit: Service, on: date, number: str):
    freeze_on(on)
    return entitlement_consume(
        actor=None, patient=ann, service=visit, on=on, source_type="visit", source_id=number
    )


def test_a_use_beyond_the_allowance_is_charged_on_the_next_renewal_invoice_once(
    admin, member, visit
):
    membership, ann = member
    assert _visit(ann, visit, date(2026, 1, 5), "v1").kind == EntryKind.CONSUME
    beyond = _visit(ann, visit, date(2026, 1, 12), "v2")
    assert (beyond.kind, beyond.unit_price) == (EntryKind.OVERAGE, 6_000)
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    renewal = invoices_of(membership)[-1]
    assert lines(renewal) == [("period", 10_000), ("overage", 6_000)]
    overage = renewal.lines.get(kind=LineKind.OVERAGE)
    assert overage.description == "Provider visit beyond the allowance, Jan 12, 2026"
    assert (overage.patient_id, overage.source_key) == (ann.pk, f"overage:{beyond.pk}")
    assert renewal.total == 16_000
    invoices = Invoice.objects.count()
    billing_run(as_of=date(2026, 2, 1))
    assert Invoice.objects.count() == invoices
    freeze_on(date(2026, 3, 1))
    billing_run(as_of=date(2026, 3, 1))
    assert lines(invoices_of(membership)[-1]) == [("period", 10_000)]
    assert InvoiceLine.objects.filter(kind=LineKind.OVERAGE).count() == 1


def test_a_reversed_use_beyond_the_allowance_is_not_billed(admin, member, visit):
    membership, ann = member
    _visit(ann, visit, date(2026, 1, 5), "v1")
    _visit(ann, visit, date(2026, 1, 12), "v2")
    _visit(ann, visit, date(2026, 1, 19), "v3")
    entitlement_reverse(actor=None, source_type="visit", source_id="v3", reason="No-show waived")
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    # Two uses beyond the allowance of one, one reversed: 6000 once.
    assert lines(invoices_of(membership)[-1]) == [("period", 10_000), ("overage", 6_000)]


def test_a_use_in_the_period_being_billed_waits_for_the_following_renewal(admin, member, visit):
    membership, ann = member
    freeze_on(date(2026, 2, 1))
    billing_run(as_of=date(2026, 2, 1))
    _visit(ann, visit, date(2026, 2, 3), "v1")
    _visit(ann, visit, date(2026, 2, 27), "v2")
    assert lines(invoices_of(membership)[-1]) == [("period", 10_000)]
    freeze_on(date(2026, 3, 1))
    billing_run(as_of=date(2026, 3, 1))
    assert lines(invoices_of(membership)[-1]) == [("period", 10_000), ("overage", 6_000)]
