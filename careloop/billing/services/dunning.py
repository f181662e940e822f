"""What happens after a failed charge: past due, the payer told, retries on a schedule, and
after the last one the clinic's policy (cancel, or stay past due) with notice.

Retries follow BillingSettings.retry_days: days after the previous failure (default 1, 1, 5:
retries one, two and seven days after the first failure).
"""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from careloop.billing.links import card_update_url
from careloop.billing.models import (
    AfterFinalFailure,
    AttemptTrigger,
    BillingSettings,
    Invoice,
    InvoiceStatus,
    PaymentAttempt,
)
from careloop.billing.services.invoices import invoice_apply_credit
from careloop.billing.services.notices import NoticeDraft, clinic_name, notice_send
from careloop.core import clock
from careloop.memberships.models import CancellationReason, Membership, MembershipStatus
from careloop.memberships.selectors.memberships import money
from careloop.memberships.services.lifecycle import (
    membership_cancel,
    membership_mark_past_due,
    membership_recover,
)


def billing_settings() -> BillingSettings:
    found = BillingSettings.objects.first()
    return found if found is not None else BillingSettings.objects.create()


def invoice_payment_failed(*, invoice: Invoice, attempt: PaymentAttempt) -> None:
    """Count the failure, schedule the next retry or apply the final policy, mark the
    membership past due and tell the payer. Runs inside the caller's transaction."""
    invoice_count_failure(invoice, billing_settings().retry_schedule, clock.today())
    invoice.save(update_fields=["failed_attempts", "next_retry_on"])
    membership = invoice.membership
    if membership is not None:
        membership.refresh_from_db()
        if membership.status == MembershipStatus.ACTIVE:
            membership_mark_past_due(actor=None, membership=membership)
    if invoice.next_retry_on is not None:
        notice = payment_failed_notice(invoice, attempt, clinic_name())
        notice_send(
            account=notice.account,
            kind=notice.kind,
            key=notice.key,
            subject=notice.subject,
            body=notice.body,
        )
        return
    invoice_dunning_end(invoice=invoice, after_failures=True)


def retry_day(failed_attempts: int, schedule: list[int], today: date) -> date | None:
    """When an invoice whose charge has failed `failed_attempts` times is tried again, by
    the retry schedule (days after each failure); None after the last try."""
    if failed_attempts > len(schedule):
        return None
    return today + timedelta(days=schedule[failed_attempts - 1])


def invoice_count_failure(invoice: Invoice, schedule: list[int], today: date) -> None:
    """Count a failed charge on the invoice in memory and set its next retry (None after the
    last try: the final policy applies); the caller saves it. Shared by an invoice charged on
    its own and a billing run's batch."""
    invoice.failed_attempts += 1
    invoice.next_retry_on = retry_day(invoice.failed_attempts, schedule, today)


def payment_failed_notice(invoice: Invoice, attempt: PaymentAttempt, clinic: str) -> NoticeDraft:
    """The payer's notice of a failed charge with a retry to come (the invoice's account and
    next retry day set): when it is tried again, and the link to use another card."""
    retry = invoice.next_retry_on
    assert retry is not None
    amount = money(invoice.amount_due, invoice.currency)
    return NoticeDraft(
        account=invoice.account,
        kind="payment_failed",
        key=f"payment_failed:{attempt.pk}",
        subject=f"{clinic}: your payment did not go through",
        body=(
            f"We could not take your payment of {amount} to {clinic}. We will try again on "
            f"{retry:%B} {retry.day}. "
            f"To use another card, open this secure link: {card_update_url(invoice.account_id)}"
        ),
    )


def invoice_dunning_end(*, invoice: Invoice, after_failures: bool) -> None:
    """Collection of the invoice stops (its last retry failed, or staff marked it
    uncollectible): apply the clinic's policy to its membership and tell the payer, once.

    The policy cancels the membership now or keeps it past due (an active one becomes past
    due). One notice per invoice, so marking uncollectible after the last failure sends no
    second one. Runs inside the caller's transaction.
    """
    membership = invoice.membership
    if membership is not None:
        membership.refresh_from_db()
    in_force = membership is not None and membership.status in (
        MembershipStatus.ACTIVE,
        MembershipStatus.PAST_DUE,
    )
    cancel = in_force and billing_settings().after_final_failure == AfterFinalFailure.CANCEL
    if not in_force:
        outcome = ""
    elif cancel:
        outcome = "Your membership has been cancelled. "
    else:
        outcome = "Your membership stays past due until it is paid. "
    clinic = clinic_name()
    amount = money(invoice.amount_due, invoice.currency)
    lead = (
        f"We could not take your payment of {amount} to {clinic} after several tries."
        if after_failures
        else f"We have stopped trying to take your payment of {amount} to {clinic}."
    )
    notice_send(
        account=invoice.account,
        kind="payment_final_failure",
        key=f"payment_final_failure:{invoice.pk}",
        subject=f"{clinic}: final notice about your payment",
        body=(
            f"{lead} {outcome}To pay with another card, open this secure link: "
            f"{card_update_url(invoice.account_id)}"
        ),
    )
    if membership is None or not in_force:
        return
    if cancel:
        reason, _ = CancellationReason.objects.get_or_create(
            code="payment-failed", defaults={"label": "Payment failed"}
        )
        membership_cancel(actor=None, membership=membership, reason=reason)
        # Cancelling credits the unused days of the period this invoice charged.
        invoice_apply_credit(invoice=invoice)
    elif membership.status == MembershipStatus.ACTIVE:
        membership_mark_past_due(actor=None, membership=membership)


def membership_overdue(membership: Membership) -> bool:
    """Whether the membership still owes an invoice whose charge failed, or one staff stopped
    collecting (uncollectible): either keeps it past due."""
    return (
        Invoice.objects.filter(membership=membership)
        .filter(
            Q(status=InvoiceStatus.OPEN, failed_attempts__gt=0)
            | Q(status=InvoiceStatus.UNCOLLECTIBLE)
        )
        .exists()
    )


def membership_recover_when_settled(*, membership: Membership) -> None:
    """A past-due membership is active again once nothing of it is overdue (an invoice was
    voided or waived). Runs inside the caller's transaction."""
    membership.refresh_from_db()
    if membership.status == MembershipStatus.PAST_DUE and not membership_overdue(membership):
        membership_recover(actor=None, membership=membership)


def invoice_use_credit_first(*, invoice: Invoice) -> None:
    """Before a card is charged again, the payer's credit pays what it can (a cancellation
    may have credited the very days the invoice charged); a past-due membership whose
    invoice it pays in full is active again; both in one transaction."""
    with transaction.atomic():
        invoice_apply_credit(invoice=invoice)
        if invoice.status == InvoiceStatus.PAID and invoice.membership is not None:
            membership_recover_when_settled(membership=invoice.membership)


def invoices_due_for_retry(on: date | None = None) -> list[int]:
    day = clock.today() if on is None else on
    return list(
        Invoice.objects.filter(
            status=InvoiceStatus.OPEN, next_retry_on__isnull=False, next_retry_on__lte=day
        )
        .order_by("next_retry_on", "id")
        .values_list("id", flat=True)
    )


def invoices_retry_due(*, on: date | None = None) -> int:
    """Retry every failed invoice whose retry day has come (outside any transaction)."""
    from careloop.billing.services.collection import invoice_collect

    retried = 0
    for invoice_id in invoices_due_for_retry(on):
        invoice = Invoice.objects.get(pk=invoice_id)
        invoice_use_credit_first(invoice=invoice)
        if invoice_collect(invoice_id=invoice.pk, trigger=AttemptTrigger.RETRY) is not None:
            retried += 1
    return retried
