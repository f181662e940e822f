"""What the billing operations answer: schemas, and how billing records become them.

Money is integer minor units with the currency beside it. Payment methods show the brand, the
last four digits, the expiry and whether the card is the default: never the gateway's token.
"""

from datetime import date, datetime

from ninja import Field, Schema

from careloop.api.billing.common import MINOR_UNITS
from careloop.billing.models import (
    BillingAccount,
    BillingRun,
    Discount,
    Invoice,
    InvoiceLine,
    PaymentAttempt,
    PaymentMethod,
    Refund,
)
from careloop.billing.services.previews import Preview
from careloop.core import clock
from careloop.core.selectors import clinic_settings


class PaymentMethodOut(Schema):
    id: int
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool


def payment_method_out(method: PaymentMethod) -> PaymentMethodOut:
    return PaymentMethodOut(
        id=method.pk,
        brand=method.brand,
        last4=method.last4,
        exp_month=method.exp_month,
        exp_year=method.exp_year,
        is_default=method.is_default,
    )


class CardOut(Schema):
    brand: str
    last4: str


class PaymentOut(Schema):
    id: int
    invoice_id: int
    invoice_number: str
    account_id: int
    amount: int = Field(description=MINOR_UNITS)
    currency: str
    status: str = Field(description="pending, succeeded, declined or failed")
    trigger: str = Field(description="run, at_once, retry, staff or new_card")
    card: CardOut | None
    gateway: str
    reference: str = Field(description="The gateway's id for the charge")
    failure_code: str
    failure_message: str
    amount_refunded: int = Field(description=MINOR_UNITS)
    refundable: int = Field(description=MINOR_UNITS + " that can still be refunded")
    created_at: datetime
    settled_at: datetime | None


def payment_out(attempt: PaymentAttempt) -> PaymentOut:
    method = attempt.payment_method
    refundable = attempt.amount - attempt.amount_refunded if attempt.status == "succeeded" else 0
    return PaymentOut(
        id=attempt.pk,
        invoice_id=attempt.invoice_id,
        invoice_number=attempt.invoice.number,
        account_id=attempt.account_id,
        amount=attempt.amount,
        currency=attempt.currency,
        status=attempt.status,
        trigger=attempt.trigger,
        card=CardOut(brand=method.brand, last4=method.last4) if method is not None else None,
        gateway=attempt.gateway,
        reference=attempt.reference,
        failure_code=attempt.failure_code,
        failure_message=attempt.failure_message,
        amount_refunded=attempt.amount_refunded,
        refundable=refundable,
        created_at=attempt.created_at,
        settled_at=attempt.settled_at,
    )


class RefundOut(Schema):
    id: int
    payment_id: int
    invoice_id: int
    amount: int = Field(description=MINOR_UNITS)
    currency: str
    reason: str
    status: str = Field(description="pending, succeeded or failed")
    reference: str
    failure_message: str
    created_at: datetime
    settled_at: datetime | None


def refund_out(refund: Refund) -> RefundOut:
    return RefundOut(
        id=refund.pk,
        payment_id=refund.attempt_id,
        invoice_id=refund.attempt.invoice_id,
        amount=refund.amount,
        currency=refund.attempt.currency,
        reason=refund.reason,
        status=refund.status,
        reference=refund.reference,
        failure_message=refund.failure_message,
        created_at=refund.created_at,
        settled_at=refund.settled_at,
    )


def payer_name(account: BillingAccount) -> str:
    if account.patient is not None:
        return account.patient.full_name
    return account.sponsor.name if account.sponsor is not None else ""


class InvoiceOut(Schema):
    id: int
    number: str = Field(description="INV- and the id, six digits at least")
    account_id: int
    payer_name: str
    patient_id: int | None = Field(description="The paying patient; empty for a sponsor")
    sponsor_id: int | None
    membership_id: int | None
    kind: str = Field(description="enrollment, renewal, change, fees, sponsor or manual")
    status: str = Field(description="draft, open, paid, void or uncollectible")
    currency: str
    period_start: date | None
    period_end: date | None = Field(description="Exclusive")
    issued_on: date
    due_on: date
    overdue: bool = Field(description="Open and past its due day")
    subtotal: int = Field(description=MINOR_UNITS + "; the lines' sum, negative for a credit")
    total: int = Field(description=MINOR_UNITS + "; what the payer owes, never below zero")
    credit_applied: int = Field(description=MINOR_UNITS + " of the payer's credit used on it")
    amount_paid: int = Field(description=MINOR_UNITS)
    amount_due: int = Field(description=MINOR_UNITS + " still to collect")
    amount_refunded: int = Field(description=MINOR_UNITS)
    failed_attempts: int = Field(description="Charges that failed so far")
    next_retry_on: date | None
    paid_at: datetime | None
    closed_at: datetime | None = Field(description="When voided or marked uncollectible")
    close_reason: str


def invoice_fields(invoice: Invoice) -> dict[str, object]:
    account = invoice.account
    return {
        "id": invoice.pk,
        "number": invoice.number,
        "account_id": account.pk,
        "payer_name": payer_name(account),
        "patient_id": account.patient_id,
        "sponsor_id": account.sponsor_id,
        "membership_id": invoice.membership_id,
        "kind": invoice.kind,
        "status": invoice.status,
        "currency": invoice.currency,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "overdue": invoice.is_past_due(clock.today()),
        "subtotal": invoice.subtotal,
        "total": invoice.total,
        "credit_applied": invoice.credit_applied,
        "amount_paid": invoice.amount_paid,
        "amount_due": invoice.amount_due,
        "amount_refunded": invoice.amount_refunded,
        "failed_attempts": invoice.failed_attempts,
        "next_retry_on": invoice.next_retry_on,
        "paid_at": invoice.paid_at,
        "closed_at": invoice.closed_at,
        "close_reason": invoice.close_reason,
    }


def invoice_out(invoice: Invoice) -> InvoiceOut:
    return InvoiceOut.model_validate(invoice_fields(invoice))


class InvoiceLineOut(Schema):
    id: int
    kind: str = Field(
        description="period, proration_charge, proration_credit, enrollment_fee, discount, "
        "overage, pause_fee, early_termination_fee, sponsor_share or adjustment"
    )
    description: str
    patient_id: int | None = Field(description="The member the line bills")
    service_start: date | None
    service_end: date | None = Field(description="Exclusive")
    quantity: int
    unit_amount: int = Field(description=MINOR_UNITS)
    amount: int = Field(description=MINOR_UNITS + "; charges positive, credits negative")
    credits_line_id: int | None = Field(description="The charge a credit or discount gives back")
    discount_id: int | None


def line_out(line: InvoiceLine) -> InvoiceLineOut:
    return InvoiceLineOut(
        id=line.pk,
        kind=line.kind,
        description=line.description,
        patient_id=line.patient_id,
        service_start=line.service_start,
        service_end=line.service_end,
        quantity=line.quantity,
        unit_amount=line.unit_amount,
        amount=line.amount,
        credits_line_id=line.credits_line_id,
        discount_id=line.discount_id,
    )


class InvoiceDetailOut(InvoiceOut):
    lines: list[InvoiceLineOut]
    payments: list[PaymentOut] = Field(description="Every charge attempted, newest first")
    refunds: list[RefundOut] = Field(description="Newest first")


def invoice_detail_out(invoice: Invoice) -> InvoiceDetailOut:
    invoice.refresh_from_db()
    attempts = (
        PaymentAttempt.objects.filter(invoice=invoice)
        .select_related("invoice", "payment_method")
        .order_by("-created_at", "-id")
    )
    refunds = (
        Refund.objects.filter(attempt__invoice=invoice)
        .select_related("attempt")
        .order_by("-created_at", "-id")
    )
    return InvoiceDetailOut.model_validate(
        {
            **invoice_fields(invoice),
            "lines": [line_out(line) for line in invoice.lines.order_by("id")],
            "payments": [payment_out(attempt) for attempt in attempts],
            "refunds": [refund_out(refund) for refund in refunds],
        }
    )


class AccountOut(Schema):
    id: int
    payer_name: str
    patient_id: int | None
    sponsor_id: int | None
    currency: str
    gateway: str = Field(description="sandbox or stripe")
    owed: int = Field(description=MINOR_UNITS + " on open invoices")
    credit: int = Field(description=MINOR_UNITS + " applied to the next invoices first")
    balance: int = Field(description="owed - credit: positive when the payer owes")
    default_payment_method: PaymentMethodOut | None


class DiscountOut(Schema):
    id: int
    code: str | None = Field(description="Empty for a plan's introductory price")
    name: str
    kind: str = Field(description="percent or amount")
    percent_off: int | None
    amount_off: int | None = Field(description=MINOR_UNITS)
    currency: str
    duration: str = Field(description="once, periods or forever")
    periods: int | None = Field(description="How many period invoices, for `periods`")
    expires_on: date | None = Field(description="The last day it can be redeemed")
    max_redemptions: int | None
    redemptions: int = Field(description="Memberships it was redeemed on")
    plan_ids: list[int] = Field(description="The plans it applies to; empty: every plan")
    introductory_for_plan_id: int | None
    active: bool
    created_at: datetime


def discount_out(discount: Discount) -> DiscountOut:
    return DiscountOut(
        id=discount.pk,
        code=discount.code,
        name=discount.name,
        kind=discount.kind,
        percent_off=discount.percent_off,
        amount_off=discount.amount_off,
        currency=discount.currency,
        duration=discount.duration,
        periods=discount.periods,
        expires_on=discount.expires_on,
        max_redemptions=discount.max_redemptions,
        redemptions=discount.redemptions.count(),
        plan_ids=sorted(discount.plans.values_list("id", flat=True)),
        introductory_for_plan_id=discount.introductory_for_id,
        active=discount.active,
        created_at=discount.created_at,
    )


class RunOut(Schema):
    id: int
    as_of: date
    status: str = Field(description="running or finished")
    started_at: datetime
    finished_at: datetime | None
    started_by_id: int | None = Field(description="Empty for the daily job")
    currency: str = Field(description="The clinic's currency")
    memberships_seen: int
    invoices_issued: int
    amount_invoiced: int = Field(description=MINOR_UNITS)
    charges_succeeded: int
    charges_failed: int
    amount_collected: int = Field(description=MINOR_UNITS)
    retries: int = Field(
        description="Charges of failed invoices whose retry day had come, counted in the charges"
    )
    errors: int = Field(description="Memberships the run could not bill")
    last_error: str


def run_out(run: BillingRun) -> RunOut:
    return RunOut(
        id=run.pk,
        as_of=run.as_of,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        started_by_id=run.started_by_id,
        currency=clinic_settings().currency,
        memberships_seen=run.memberships_seen,
        invoices_issued=run.invoices_issued,
        amount_invoiced=run.amount_invoiced,
        charges_succeeded=run.charges_succeeded,
        charges_failed=run.charges_failed,
        amount_collected=run.amount_collected,
        retries=run.retries,
        errors=run.errors,
        last_error=run.last_error,
    )


class PreviewLineOut(Schema):
    kind: str
    description: str
    amount: int = Field(description=MINOR_UNITS + "; charges positive, credits negative")
    service_start: date | None
    service_end: date | None = Field(description="Exclusive")


class PreviewInvoiceOut(Schema):
    kind: str
    period_start: date | None
    period_end: date | None
    lines: list[PreviewLineOut]
    subtotal: int = Field(description=MINOR_UNITS)
    credit_applied: int = Field(description=MINOR_UNITS + " of the payer's credit it would use")
    amount_due: int = Field(description=MINOR_UNITS)


class PreviewOut(Schema):
    effective_on: date = Field(description="When the change would take effect")
    currency: str
    invoices: list[PreviewInvoiceOut] = Field(description="What confirming would issue")
    charged_now: int = Field(
        description=MINOR_UNITS + " the payer's card would be charged when it takes effect"
    )
    credit_after: int = Field(description=MINOR_UNITS + " of credit the payer would have left")


def preview_out(preview: Preview) -> PreviewOut:
    return PreviewOut(
        effective_on=preview.effective_on,
        currency=preview.currency,
        invoices=[
            PreviewInvoiceOut(
                kind=invoice.kind,
                period_start=invoice.period_start,
                period_end=invoice.period_end,
                lines=[
                    PreviewLineOut(
                        kind=line.kind,
                        description=line.description,
                        amount=line.amount,
                        service_start=line.service_start,
                        service_end=line.service_end,
                    )
                    for line in invoice.lines
                ],
                subtotal=invoice.subtotal,
                credit_applied=invoice.credit_applied,
                amount_due=invoice.amount_due,
            )
            for invoice in preview.invoices
        ],
        charged_now=preview.charged_now,
        credit_after=preview.credit_after,
    )


class InvoicePage(Schema):
    items: list[InvoiceOut] = Field(description="Newest first")
    total: int = Field(description="Matches in all, across every page")
    limit: int
    offset: int


class PaymentPage(Schema):
    items: list[PaymentOut] = Field(description="Newest first")
    total: int
    limit: int
    offset: int


class RefundPage(Schema):
    items: list[RefundOut] = Field(description="Newest first")
    total: int
    limit: int
    offset: int


class AccountPage(Schema):
    items: list[AccountOut]
    total: int
    limit: int
    offset: int


class DiscountPage(Schema):
    items: list[DiscountOut] = Field(description="By name")
    total: int
    limit: int
    offset: int


class RunPage(Schema):
    items: list[RunOut] = Field(description="Newest first")
    total: int
    limit: int
    offset: int
