import pytest

from careloop.notifications import sms
from careloop.notifications.models import Channel
from careloop.notifications.services import notification_enqueue
from careloop.notifications.sms.log import LogSmsProvider

pytestmark = pytest.mark.django_db


def test_the_log_provider_is_chosen_by_the_sms_provider_setting(settings):
    settings.SMS_PROVIDER = "log"
    assert isinstance(sms.sms_provider(), LogSmsProvider)


def test_the_log_provider_writes_the_sms_to_the_log(caplog):
    message = notification_enqueue(
        channel=Channel.SMS, recipient="+15125550100", body="See you at 3 pm.", kind="test"
    )
    with caplog.at_level("INFO", logger="careloop.notifications.sms.log"):
        provider_message_id = sms.send(message)
    assert "SMS to +15125550100: See you at 3 pm." in caplog.messages
    assert provider_message_id == f"log-{message.id}"
