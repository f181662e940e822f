"""Payment reminders staff send from the failed-payments queue or an invoice."""

from django.db import transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.billing.links import card_update_url
from careloop.billing.models import Invoice, InvoiceStatus, Notice
from careloop.billing.services.notices import clinic_name, notice_send, payer_reachable
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.memberships.selectors.memberships import money


def invoice_remind(*, actor: User, invoice: Invoice) -> Notice | None:
    """Remind the payer what an invoice still owes, with the secure card link.

    At most one reminder per invoice a day (a second one the same day sends nothing and
    returns None). Like every billing notice it names no plan or service, only the clinic,
    the amount and the link.
    """
    owing = invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)
    if not owing or invoice.amount_due <= 0:
        raise ValidationFailed.single(
            "invoice", f"{invoice.number} owes nothing, so there is nothing to remind.", "paid"
        )
    if not payer_reachable(invoice.account):
        raise ValidationFailed.single(
            "invoice",
            "The payer has no email address or mobile phone on file; add one to their record.",
            "no_contact",
        )
    clinic = clinic_name()
    amount = money(invoice.amount_due, invoice.currency)
    with transaction.atomic():
        notice = notice_send(
            account=invoice.account,
            kind="payment_reminder",
            key=f"payment_reminder:{invoice.pk}:{clock.today().isoformat()}",
            subject=f"{clinic}: a payment is due",
            body=(
                f"This is a reminder from {clinic}: {amount} is due. To pay with another card, "
                f"open this secure link: {card_update_url(invoice.account_id)}"
            ),
        )
        if notice is not None:
            audit_record(
                action="billing.reminder_sent",
                actor=actor,
                patient_id=invoice.account.patient_id,
                object_type="invoice",
                object_id=invoice.pk,
                detail={"number": invoice.number},
            )
    return notice
