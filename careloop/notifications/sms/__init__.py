"""SMS channel: a provider adapter chosen by CARELOOP_SMS_PROVIDER.

Same shape as the email channel: `send(message) -> provider message id`, raising on failure.
"""

from django.conf import settings

from careloop.notifications.models import OutboxMessage
from careloop.notifications.sms.base import SmsProvider
from careloop.notifications.sms.log import LogSmsProvider

PROVIDERS: dict[str, type[SmsProvider]] = {"log": LogSmsProvider}


def sms_provider() -> SmsProvider:
    return PROVIDERS[settings.SMS_PROVIDER]()


def send(message: OutboxMessage) -> str:
    return sms_provider().send(to=message.recipient, body=message.body, message_id=str(message.id))
