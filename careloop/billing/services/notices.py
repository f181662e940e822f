"""Messages billing sends payers, each once (a Notice row per key), through the outbox.

No clinical detail ever: no plan or service names, only the clinic, amounts and links.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from careloop.billing.models import BillingAccount, Notice
from careloop.core import clock
from careloop.core.models import ClinicSettings
from careloop.notifications.contacts import patient_contact
from careloop.notifications.models import Channel
from careloop.notifications.services import NewMessage, notifications_enqueue_many


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


@dataclass(frozen=True)
class NoticeDraft:
    """A notice to send once by its key (`notice_send`, `notices_send_many`)."""

    account: BillingAccount
    kind: str
    key: str
    subject: str
    body: str


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
        message = _message(NoticeDraft(account, kind, key, subject, body))
        if message is not None:
            notifications_enqueue_many([message])
    return notice


def notices_send_many(drafts: list[NoticeDraft]) -> list[Notice]:
    """Send each notice whose key was never sent, as `notice_send` does, with one insert of
    the Notice rows and one of their messages, inside the caller's transaction.

    Keys must be ones no other process can be sending at the same time (a billing batch's
    notices name its own locked attempts): a key taken meanwhile fails the insert, and the
    caller's transaction with it, where `notice_send` would skip it.
    """
    if not drafts:
        return []
    sent = set(
        Notice.objects.filter(key__in=[draft.key for draft in drafts]).values_list("key", flat=True)
    )
    due = [draft for draft in drafts if draft.key not in sent]
    if not due:
        return []
    now = clock.now()
    notices = Notice.objects.bulk_create(
        [
            Notice(key=draft.key, account=draft.account, kind=draft.kind, sent_at=now)
            for draft in due
        ]
    )
    notifications_enqueue_many([message for message in map(_message, due) if message is not None])
    return notices


def _message(draft: NoticeDraft) -> NewMessage | None:
    """The outbox message of a notice, to the payer's email or mobile phone; None when
    neither is on file."""
    contact = payer_contact(draft.account)
    if contact is None:
        return None
    channel, recipient = contact
    return NewMessage(
        channel=channel,
        recipient=recipient,
        subject=draft.subject if channel == Channel.EMAIL else "",
        body=draft.body,
        kind=f"billing.{draft.kind}",
        patient_id=draft.account.patient_id,
    )


def payer_reachable(account: BillingAccount) -> bool:
    """Whether a notice to this payer would reach them (an email address or mobile phone)."""
    return payer_contact(account) is not None
