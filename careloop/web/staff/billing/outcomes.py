"""How staff are told what a charge or a new invoice came to, in one sentence each."""

from django.contrib import messages

from careloop.billing.models import AttemptStatus, Invoice, InvoiceStatus, PaymentAttempt
from careloop.billing.services.accounts import default_payment_method
from careloop.web.money import format_money


def _card(attempt: PaymentAttempt) -> str:
    method = attempt.payment_method
    return f"{method.brand.title()} ending {method.last4}" if method else "the card on file"


def attempt_message(attempt: PaymentAttempt) -> tuple[int, str]:
    """The message level and text that tell staff how a charge went."""
    amount = format_money(attempt.amount, attempt.currency)
    card = _card(attempt)
    if attempt.status == AttemptStatus.SUCCEEDED:
        return messages.SUCCESS, f"Paid {amount} with {card}."
    if attempt.status == AttemptStatus.PENDING:
        return (
            messages.WARNING,
            f"The gateway has not answered about {amount} on {card}; Careloop asks it again "
            "in a few minutes and never charges twice.",
        )
    invoice = Invoice.objects.get(pk=attempt.invoice_id)
    retry = (
        f" The next retry is on {invoice.next_retry_on.isoformat()}."
        if invoice.next_retry_on
        else ""
    )
    return (
        messages.ERROR,
        f"The charge of {amount} on {card} failed: {attempt.failure_message}{retry}",
    )


def invoice_outcome(invoice: Invoice) -> tuple[int, str]:
    """What a newly issued invoice came to: paid and how, or what is still owed and why."""
    invoice.refresh_from_db()
    prefix = f"Invoice {invoice.number}"
    total = format_money(invoice.total, invoice.currency)
    latest = (
        invoice.attempts.select_related("payment_method").order_by("-created_at", "-id").first()
    )
    if invoice.status == InvoiceStatus.PAID:
        if latest is not None and latest.status == AttemptStatus.SUCCEEDED:
            return messages.SUCCESS, f"{prefix} ({total}): paid with {_card(latest)}."
        if invoice.subtotal < 0:
            credit = format_money(-invoice.subtotal, invoice.currency)
            return messages.SUCCESS, f"{prefix}: {credit} credit to the payer's account."
        return messages.SUCCESS, f"{prefix} ({total}): paid from the payer's credit."
    if invoice.status != InvoiceStatus.OPEN:
        return messages.INFO, f"{prefix} ({total}) is {invoice.get_status_display().lower()}."
    if latest is not None:
        level, text = attempt_message(latest)
        return level, f"{prefix}: {text}"
    due = format_money(invoice.amount_due, invoice.currency)
    if default_payment_method(invoice.account) is None:
        return messages.WARNING, f"{prefix}: {due} is due and there is no card on file."
    return messages.INFO, f"{prefix}: {due} is due and is being charged."
