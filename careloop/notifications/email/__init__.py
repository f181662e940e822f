"""Email channel: Django's email backends (SMTP in production).

Every channel package has the same shape: `send(message) -> provider message id`, raising on
any failure so that delivery can retry.
"""

from django.conf import settings
from django.core.mail import EmailMessage

from careloop.notifications.models import OutboxMessage

MESSAGE_ID_DOMAIN = "careloop.invalid"


class EmailNotAccepted(Exception):
    pass


def message_id_header(message: OutboxMessage) -> str:
    """The Message-ID, derived from the outbox id so a repeat carries the same one."""
    return f"<{message.id}@{MESSAGE_ID_DOMAIN}>"


def send(message: OutboxMessage) -> str:
    message_id = message_id_header(message)
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={"Message-ID": message_id},
    )
    if message.attachment_name:
        email.attach(message.attachment_name, message.attachment, message.attachment_type)
    if email.send(fail_silently=False) != 1:
        raise EmailNotAccepted(f"the email backend did not accept message {message_id}")
    return message_id
