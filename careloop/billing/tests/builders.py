"""Billing test data: plans, payers with sandbox cards, and readers for invoices (synthetic)."""

from datetime import date
from typing import Any

from django.db.models import Sum
from django.test import TestCase

from careloop.accounts.models import User
from careloop.billing.models import (
    BillingAccount,
    Invoice,
    InvoiceStatus,
    JournalLine,
    MembershipBilling,
    PaymentMethod,
)
from careloop.billing.services.accounts import billing_account_for, payment_method_add
from careloop.memberships.models import MembershipSettings
from careloop.patients.models import Patient

CARD = "tok_sandbox_success"
DECLINING_CARD = "tok_sandbox_insufficient_funds"


def with_card(patient: Patient, token: str = CARD) -> PaymentMethod:
    account = billing_account_for(patient=patient)
    return payment_method_add(actor=None, account=account, token=token)


def account_of(patient: Patient) -> BillingAccount:
    return billing_account_for(patient=patient)


def clinic_billing_day(day: int | None) -> None:
    settings_row = MembershipSettings.objects.first() or MembershipSettings.objects.create()
    settings_row.clinic_billing_day = day
    settings_row.save()


def lines(invoice: Invoice) -> list[tuple[str, int]]:
    return [(line.kind, line.amount) for line in invoice.lines.order_by("id")]


def line_dates(invoice: Invoice) -> list[tuple[str, date | None, date | None]]:
    return [
        (line.kind, line.service_start, line.service_end) for line in invoice.lines.order_by("id")
    ]


def invoices_of(membership: Any) -> list[Invoice]:
    return list(Invoice.objects.filter(membership=membership).order_by("id"))


def billing_of(membership: Any) -> MembershipBilling:
    return MembershipBilling.objects.get(membership=membership)


def journal_sum() -> int:
    return int(JournalLine.objects.aggregate(total=Sum("amount"))["total"] or 0)


def paid_total(account: BillingAccount) -> int:
    return sum(
        invoice.amount_paid
        for invoice in Invoice.objects.filter(account=account, status=InvoiceStatus.PAID)
    )


def no_actor() -> User | None:
    return None


def committed() -> Any:
    """Run what the block schedules for after commit (collection) as if it had committed:
    the test's transaction never commits."""
    return TestCase.captureOnCommitCallbacks(execute=True)
