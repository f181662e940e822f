"""Invoices: the list with its filters, one invoice in full, and what staff do to one."""

from datetime import date, datetime

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Schema

from careloop.accounts.policy import Capability
from careloop.api.billing.common import Limit, Offset, invoices_router
from careloop.api.billing.output import (
    InvoiceDetailOut,
    InvoicePage,
    PaymentOut,
    invoice_detail_out,
    invoice_out,
    payment_out,
)
from careloop.api.memberships.common import request_user, staff_user
from careloop.api.patients import needs
from careloop.audit.services import audit_record
from careloop.billing.access import access_invoice
from careloop.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from careloop.billing.services.follow_up import invoice_collect_now, invoice_send_reminder
from careloop.billing.services.invoices import invoice_mark_uncollectible, invoice_void
from careloop.core import clock
from careloop.core.errors import ValidationFailed


@invoices_router.get(
    "",
    response=InvoicePage,
    summary="List invoices",
    description=(
        "Newest first. `patient_id` finds the invoices a patient pays or is billed on (a "
        "household member's line); `issued_from` and `issued_to` are inclusive; `overdue` "
        "means open and past its due day; `failed` means at least one charge failed (with "
        "`status=open`, the failed-payments queue)."
    ),
    openapi_extra=needs(Capability.BILLING_VIEW),
)
def invoice_list(
    request: HttpRequest,
    status: InvoiceStatus | None = None,
    kind: InvoiceKind | None = None,
    account_id: int | None = None,
    patient_id: int | None = None,
    sponsor_id: int | None = None,
    membership_id: int | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
    overdue: bool | None = None,
    failed: bool | None = None,
    limit: Limit = 25,
    offset: Offset = 0,
) -> InvoicePage:
    user = staff_user(request, Capability.BILLING_VIEW)
    if issued_from is not None and issued_to is not None and issued_to < issued_from:
        raise ValidationFailed.single(
            "issued_to", "The end of the range cannot come before its start.", "before_start"
        )
    matches = Invoice.objects.order_by("-issued_on", "-id")
    if status is not None:
        matches = matches.filter(status=status)
    if kind is not None:
        matches = matches.filter(kind=kind)
    if account_id is not None:
        matches = matches.filter(account_id=account_id)
    if patient_id is not None:
        billed = InvoiceLine.objects.filter(patient_id=patient_id).values("invoice_id")
        matches = matches.filter(Q(account__patient_id=patient_id) | Q(pk__in=billed))
    if sponsor_id is not None:
        matches = matches.filter(account__sponsor_id=sponsor_id)
    if membership_id is not None:
        matches = matches.filter(membership_id=membership_id)
    if issued_from is not None:
        matches = matches.filter(issued_on__gte=issued_from)
    if issued_to is not None:
        matches = matches.filter(issued_on__lte=issued_to)
    if overdue is not None:
        late = Q(status=InvoiceStatus.OPEN, due_on__lt=clock.today())
        matches = matches.filter(late) if overdue else matches.exclude(late)
    if failed is not None:
        matches = (
            matches.filter(failed_attempts__gt=0) if failed else matches.filter(failed_attempts=0)
        )
    page = list(
        matches.select_related("account", "account__patient", "account__sponsor")[
            offset : offset + limit
        ]
    )
    shown = {invoice.account.patient_id for invoice in page} | set(
        InvoiceLine.objects.filter(invoice__in=page, patient_id__isnull=False).values_list(
            "patient_id", flat=True
        )
    )
    audit_record(
        action="invoice.list",
        actor=user,
        object_type="invoice",
        detail={"patient_ids": sorted(pid for pid in shown if pid is not None)},
    )
    return InvoicePage(
        items=[invoice_out(invoice) for invoice in page],
        total=matches.count(),
        limit=limit,
        offset=offset,
    )


@invoices_router.get(
    "/{invoice_id}",
    response=InvoiceDetailOut,
    summary="One invoice: its lines, payments, refunds and amounts",
    openapi_extra=needs(Capability.BILLING_VIEW),
)
def invoice_get(request: HttpRequest, invoice_id: int) -> InvoiceDetailOut:
    return invoice_detail_out(access_invoice(request_user(request), invoice_id))


class ReasonIn(Schema):
    reason: str = Field(description="Why, for the record (required)")


@invoices_router.post(
    "/{invoice_id}/void",
    response=InvoiceDetailOut,
    summary="Void an invoice issued in error, or waive it",
    description=(
        "Credit used on it returns to the payer. A paid invoice cannot be voided (refund the "
        "payment instead): 409 illegal_invoice_transition, or 422 naming `invoice` when part "
        "of it was paid."
    ),
    openapi_extra=needs(Capability.BILLING_MANAGE),
)
def invoice_void_one(request: HttpRequest, invoice_id: int, payload: ReasonIn) -> InvoiceDetailOut:
    user = request_user(request)
    invoice = access_invoice(
        user, invoice_id, Capability.BILLING_MANAGE, action="invoice.void_request"
    )
    return invoice_detail_out(invoice_void(actor=user, invoice=invoice, reason=payload.reason))


@invoices_router.post(
    "/{invoice_id}/mark-uncollectible",
    response=InvoiceDetailOut,
    summary="Stop collecting an invoice (write it off)",
    description=(
        "No retry runs; the amount stays owed and the invoice can still be paid or voided. "
        "Only an open invoice can be marked uncollectible (409 otherwise)."
    ),
    openapi_extra=needs(Capability.BILLING_MANAGE),
)
def invoice_mark_uncollectible_one(
    request: HttpRequest, invoice_id: int, payload: ReasonIn
) -> InvoiceDetailOut:
    user = request_user(request)
    invoice = access_invoice(
        user, invoice_id, Capability.BILLING_MANAGE, action="invoice.uncollectible_request"
    )
    return invoice_detail_out(
        invoice_mark_uncollectible(actor=user, invoice=invoice, reason=payload.reason)
    )


@invoices_router.post(
    "/{invoice_id}/collect",
    response=PaymentOut,
    summary="Charge the card on file now for what the invoice owes",
    description=(
        "Answers the payment attempt: `succeeded`, `declined` or `failed` (a failure counts "
        "towards the retry schedule and the payer is told), or `pending` when the gateway did "
        "not answer (Careloop asks it again later and never charges twice). 409 when nothing "
        "is owed (nothing_owed), no card is on file (no_card_on_file) or a charge is already "
        "waiting for the gateway (payment_in_progress)."
    ),
    openapi_extra=needs(Capability.BILLING_COLLECT),
)
def invoice_collect_one(request: HttpRequest, invoice_id: int) -> PaymentOut:
    user = request_user(request)
    invoice = access_invoice(
        user, invoice_id, Capability.BILLING_COLLECT, action="invoice.collect_request"
    )
    return payment_out(invoice_collect_now(actor=user, invoice=invoice))


class ReminderOut(Schema):
    invoice_id: int
    notice_id: int
    kind: str
    sent_at: datetime


@invoices_router.post(
    "/{invoice_id}/remind",
    response=ReminderOut,
    summary="Remind the payer, with a secure link to pay with another card",
    description=(
        "At most one reminder per invoice per day: 409 reminder_already_sent for a second one. "
        "409 nothing_owed when the invoice is paid or closed, no_contact when the payer has "
        "no email address or mobile phone. The message names the clinic, the amount and the "
        "invoice number; never a plan or a service."
    ),
    openapi_extra=needs(Capability.BILLING_COLLECT),
)
def invoice_remind(request: HttpRequest, invoice_id: int) -> ReminderOut:
    user = request_user(request)
    invoice = access_invoice(
        user, invoice_id, Capability.BILLING_COLLECT, action="invoice.remind_request"
    )
    notice = invoice_send_reminder(actor=user, invoice=invoice)
    return ReminderOut(
        invoice_id=invoice.pk,
        notice_id=notice.pk,
        kind=notice.kind,
        sent_at=notice.sent_at,
    )
