"""Payments made outside the gateway (a sponsor's bank transfer, a cheque) recorded by staff."""

from datetime import date

import pytest

from careloop.billing.models import InvoiceStatus
from careloop.billing.selectors.balances import account_balance
from careloop.billing.services.invoices import invoice_record_payment, invoice_void
from careloop.billing.tests.builders import invoices_of, journal_sum
from careloop.core.errors import ValidationFailed
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_invoice(admin):
    freeze_on(date(2026, 1, 1))
    plan = make_plan(code="essentials", rank=1, monthly=10_000)
    ann = make_patient(given="Ann")
    membership = enroll(admin, plan, ann, start=date(2026, 1, 1), active=False)
    return invoices_of(membership)[0]


def test_recording_an_outside_payment_pays_the_invoice_and_clears_the_balance(admin, open_invoice):
    invoice_record_payment(actor=admin, invoice=open_invoice, method="Cheque", reference="1042")
    assert open_invoice.status == InvoiceStatus.PAID
    assert open_invoice.amount_paid == 10_000
    assert account_balance(open_invoice.account).owed == 0
    assert journal_sum() == 0


def test_an_outside_payment_needs_a_method_and_something_owed(admin, open_invoice):
    with pytest.raises(ValidationFailed) as refused:
        invoice_record_payment(actor=admin, invoice=open_invoice, method=" ", reference="")
    assert refused.value.errors[0].field == "method"
    invoice_record_payment(actor=admin, invoice=open_invoice, method="Cheque", reference="1042")
    with pytest.raises(Exception, match="already paid"):
        invoice_record_payment(actor=admin, invoice=open_invoice, method="Cheque", reference="1")
    assert open_invoice.amount_paid == 10_000


def test_a_void_invoice_cannot_be_paid(admin, open_invoice):
    invoice_void(actor=admin, invoice=open_invoice, reason="Entered in error")
    with pytest.raises(Exception, match="void invoice cannot be paid"):
        invoice_record_payment(actor=admin, invoice=open_invoice, method="Cheque", reference="1")
    open_invoice.refresh_from_db()
    assert open_invoice.amount_paid == 0
