"""Messages billing sends payers, each once (a Notice row per key), through the outbox.

No clinical detail ever: no plan or service names, only the clinic, amounts and links.
"""

from django.db import IntegrityError, transaction

from careloop.billing.models import BillingAccount, Notice
from careloop.core import clock
from careloop.core.models import ClinicSettings
from careloop.notifications.contacts import patient_contact
from careloop.notifications.models import Channel
from careloop.notifications.services import notification_enqueue


def clinic_name() -> str:
    row = ClinicSettings.objects.first()
    return row.name if row is not None else "Your clinic"


def payer_contact(account: BillingAccount) -> tuple[Channel, str] | None:
    """How the payer is told: email first, else a text; None when neither is on file."""
    if account.patient is not None:
        return patient_contact(account.patient)
    if account.sponsor is not None and account.sponsor.contact_email:
        return Channel.EMAIL, account.sponsor.contact_email
    return None


def notice_send(
    *, account: BillingAccount, kind: str, key: str, subject: str, body: str
) -> Notice | None:
    """Send one notice per key; None when it was sent before. A payer with no email address
    or mobile phone gets the Notice row (the notice is due once) and no message.

    The Notice row and its outbox message commit together, in the caller's transaction when
    there is one: a notice is never recorded as sent without its message (a rerun would then
    send nothing), nor a message written twice for one key.
    """
    if Notice.objects.filter(key=key).exists():
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                notice = Notice.objects.create(
                    key=key, account=account, kind=kind, sent_at=clock.now()
                )
        except IntegrityError:
            return None  # another process sent it meanwhile
        contact = payer_contact(account)
        if contact is not None:
            channel, recipient = contact
            notification_enqueue(
                channel=channel,
                recipient=recipient,
                subject=subject if channel == Channel.EMAIL else "",
                body=body,
                kind=f"billing.{kind}",
                patient_id=account.patient_id,
            )
    return notice


def payer_reachable(account: BillingAccount) -> bool:
    """Whether a notice to this payer would reach them (an email address or mobile phone)."""
    return payer_contact(account) is not None
