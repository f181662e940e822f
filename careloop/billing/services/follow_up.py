"""Following up an unpaid invoice by hand: charge the card on file now, or remind the payer.

Both refuse with a clear reason when there is nothing to do (the invoice is paid or closed,
a charge is already in flight, no card or no contact is on file), and change nothing then.
"""

from django.db import transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.billing.errors import PaymentInProgress
from careloop.billing.links import card_update_url
from careloop.billing.models import (
    AttemptStatus,
    AttemptTrigger,
    Invoice,
    InvoiceStatus,
    Notice,
    PaymentAttempt,
)
from careloop.billing.services.accounts import default_payment_method
from careloop.billing.services.collection import invoice_collect
from careloop.billing.services.dunning import invoice_use_credit_first
from careloop.billing.services.notices import clinic_name, notice_send, payer_contact
from careloop.core import clock
from careloop.core.errors import Conflict
from careloop.memberships.selectors.memberships import money

COLLECTABLE = (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)


def _refuse_unless_owed(invoice: Invoice) -> None:
    if invoice.status not in COLLECTABLE or invoice.amount_due <= 0:
        status = InvoiceStatus(invoice.status).label.lower()
        raise Conflict(f"{invoice.number} is {status}: nothing is owed on it.", code="nothing_owed")


def invoice_collect_now(*, actor: User, invoice: Invoice) -> PaymentAttempt:
    """Charge the payer's default card now for what the invoice still owes after the payer's
    credit (staff's "retry now"). Returns the attempt: succeeded, declined, failed, or
    pending when the gateway did not answer (settled later, never charged again). Call it
    outside a transaction."""
    invoice_use_credit_first(invoice=invoice)
    _refuse_unless_owed(invoice)
    if invoice.attempts.filter(status=AttemptStatus.PENDING).exists():
        raise PaymentInProgress(
            f"A charge for {invoice.number} is waiting for the gateway's answer; try again "
            "once it is settled."
        )
    if default_payment_method(invoice.account) is None:
        raise Conflict(
            "The payer has no card on file: add one first (or send them the card link).",
            code="no_card_on_file",
        )
    attempt = invoice_collect(invoice_id=invoice.pk, trigger=AttemptTrigger.STAFF, actor=actor)
    if attempt is None:
        # Another process started a charge, or the invoice closed, between the checks above
        # and the lock invoice_collect takes.
        raise PaymentInProgress(f"{invoice.number} changed meanwhile; read it again.")
    audit_record(
        action="invoice.collect_now",
        actor=actor,
        patient_id=invoice.account.patient_id,
        object_type="invoice",
        object_id=invoice.pk,
        detail={"attempt": attempt.pk, "status": attempt.status},
    )
    invoice.refresh_from_db()
    return attempt


def invoice_send_reminder(*, actor: User, invoice: Invoice) -> Notice:
    """Remind the payer of what the invoice owes, with the secure link to pay with another
    card; at most one reminder per invoice per day. No clinical detail: the clinic, the
    amount, the invoice number and the link."""
    with transaction.atomic():
        invoice = Invoice.objects.select_related("account", "account__patient").get(pk=invoice.pk)
        _refuse_unless_owed(invoice)
        account = invoice.account
        if payer_contact(account) is None:
            raise Conflict(
                "The payer has no email address or mobile phone on file to remind.",
                code="no_contact",
            )
        clinic = clinic_name()
        today = clock.today()
        notice = notice_send(
            account=account,
            kind="payment_reminder",
            key=f"payment_reminder:{invoice.pk}:{today.isoformat()}",
            subject=f"{clinic}: a payment is due",
            body=(
                f"This is a reminder that {money(invoice.amount_due, invoice.currency)} is due "
                f"to {clinic} on invoice {invoice.number}. To pay with another card, open this "
                f"secure link: {card_update_url(account.pk)}"
            ),
        )
        if notice is None:
            raise Conflict(
                f"A reminder about {invoice.number} was already sent today.",
                code="reminder_already_sent",
            )
        audit_record(
            action="invoice.reminder_sent",
            actor=actor,
            patient_id=account.patient_id,
            object_type="invoice",
            object_id=invoice.pk,
            detail={"notice": notice.pk},
        )
    return notice
