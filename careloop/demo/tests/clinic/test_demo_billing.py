"""The demo clinic's year of billing (seeded once for the module: see conftest)."""

from collections import Counter

import pytest
from django.db.models import Sum

from careloop.billing.models import (
    AttemptStatus,
    BillingRun,
    Invoice,
    InvoiceStatus,
    JournalLine,
    LineKind,
    MembershipBilling,
    PaymentAttempt,
    Refund,
)
from careloop.core import clock
from careloop.memberships.models import MembershipStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_clinic")]


def test_every_billing_membership_is_billed_through_today():
    today = clock.today()
    billing = MembershipBilling.objects.filter(
        membership__status__in=[MembershipStatus.ACTIVE, MembershipStatus.PAST_DUE]
    )
    assert billing.count() > 50
    assert not billing.filter(next_bill_on__lte=today).exists()
    assert BillingRun.objects.filter(status="finished").count() >= 365


def test_the_journal_balances_entry_by_entry():
    assert JournalLine.objects.aggregate(total=Sum("amount"))["total"] == 0
    per_entry: Counter[int] = Counter()
    for entry_id, amount in JournalLine.objects.values_list("entry_id", "amount"):
        per_entry[entry_id] += amount
    assert set(per_entry.values()) == {0}


def test_some_cards_declined_and_were_paid_after_a_new_card():
    declined = set(
        PaymentAttempt.objects.filter(status=AttemptStatus.DECLINED).values_list(
            "invoice_id", flat=True
        )
    )
    assert declined
    recovered = Invoice.objects.filter(pk__in=declined, status=InvoiceStatus.PAID)
    assert recovered.exists()
    assert PaymentAttempt.objects.filter(
        invoice__in=recovered, status=AttemptStatus.SUCCEEDED, trigger="new_card"
    ).exists()


def test_some_memberships_are_past_due_today_with_their_invoice_on_the_failed_queue():
    past_due = MembershipBilling.objects.filter(membership__status=MembershipStatus.PAST_DUE)
    assert past_due.exists()
    for billing in past_due:
        assert Invoice.objects.filter(
            membership_id=billing.membership_id, status=InvoiceStatus.OPEN, failed_attempts__gt=0
        ).exists()


def test_the_year_has_refunds_discounts_and_proration():
    assert Refund.objects.filter(status="succeeded").exists()
    kinds = set(Invoice.objects.values_list("lines__kind", flat=True))
    assert {
        LineKind.PERIOD,
        LineKind.DISCOUNT,
        LineKind.PRORATION_CREDIT,
        LineKind.PRORATION_CHARGE,
        LineKind.SPONSOR_SHARE,
    } <= kinds


def test_sponsors_paid_their_monthly_invoices_by_bank_transfer_except_the_latest():
    sponsor_invoices = Invoice.objects.filter(kind="sponsor")
    assert sponsor_invoices.filter(status=InvoiceStatus.PAID).count() >= 10
    open_days = [
        (clock.today() - invoice.issued_on).days
        for invoice in sponsor_invoices.filter(status=InvoiceStatus.OPEN)
    ]
    assert all(days < 21 for days in open_days)
