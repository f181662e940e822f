"""Reading invoices for staff: filtered lists, who pays, and an invoice's history."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet

from careloop.accounts.models import User
from careloop.billing.models import (
    AttemptStatus,
    BillingAccount,
    Invoice,
    InvoiceStatus,
    PaymentAttempt,
)
from careloop.patients.search import fold


def payer_name(account: BillingAccount) -> str:
    if account.patient is not None:
        return account.patient.full_name
    if account.sponsor is not None:
        return account.sponsor.name
    return f"Billing account #{account.pk}"


@dataclass(frozen=True)
class InvoiceFilters:
    status: str = ""
    kind: str = ""
    issued_from: date | None = None
    issued_to: date | None = None
    payer: str = ""
    needs_attention: bool = False  # open and overdue, or a charge failed


def invoices_filtered(*, filters: InvoiceFilters, today: date) -> QuerySet[Invoice]:
    """Invoices matching every filter given, newest first."""
    rows = Invoice.objects.select_related(
        "account", "account__patient", "account__sponsor", "membership", "membership__plan"
    )
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.issued_from is not None:
        rows = rows.filter(issued_on__gte=filters.issued_from)
    if filters.issued_to is not None:
        rows = rows.filter(issued_on__lte=filters.issued_to)
    for word in fold(filters.payer).split():
        rows = rows.filter(
            Q(account__patient__search_given__contains=word)
            | Q(account__patient__search_family__contains=word)
            | Q(account__patient__search_preferred__contains=word)
            | Q(account__sponsor__name__icontains=word)
        )
    if filters.needs_attention:
        rows = rows.filter(status=InvoiceStatus.OPEN).filter(
            Q(due_on__lt=today) | Q(failed_attempts__gt=0)
        )
    return rows.order_by("-issued_on", "-id")


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    status: str
    by: User | None = None
    note: str = ""


def invoice_history(invoice: Invoice) -> list[HistoryEntry]:
    """The invoice's status changes, oldest first, read from its timestamps."""
    entries = [HistoryEntry(invoice.created_at, InvoiceStatus.DRAFT.label)]
    if invoice.finalized_at is not None:
        entries.append(HistoryEntry(invoice.finalized_at, InvoiceStatus.OPEN.label))
    if invoice.closed_at is not None:
        closed = (
            InvoiceStatus.VOID
            if invoice.status == InvoiceStatus.VOID
            else InvoiceStatus.UNCOLLECTIBLE
        )
        entries.append(
            HistoryEntry(invoice.closed_at, closed.label, invoice.closed_by, invoice.close_reason)
        )
    if invoice.paid_at is not None:
        entries.append(HistoryEntry(invoice.paid_at, InvoiceStatus.PAID.label))
    return sorted(entries, key=lambda entry: entry.at)


def invoice_attempts(invoice: Invoice) -> list[PaymentAttempt]:
    return list(
        invoice.attempts.select_related("payment_method", "actor")
        .prefetch_related("refunds")
        .order_by("created_at", "id")
    )


def refundable(attempt: PaymentAttempt) -> int:
    if attempt.status != AttemptStatus.SUCCEEDED:
        return 0
    return attempt.amount - attempt.amount_refunded
