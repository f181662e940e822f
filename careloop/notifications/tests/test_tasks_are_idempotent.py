import pytest
from django.core import mail

from careloop.notifications.models import Channel, OutboxMessage, Status
from careloop.notifications.services import notification_enqueue
from careloop.notifications.tasks import deliver_due_notifications, deliver_notification

pytestmark = pytest.mark.django_db


def _email():
    return notification_enqueue(
        channel=Channel.EMAIL, recipient="ann.avery@example.invalid", body="Hi.", kind="test"
    )


def test_delivering_one_message_twice_sends_it_once():
    message = _email()
    assert deliver_notification.call(str(message.id)) == "sent"
    assert deliver_notification.call(str(message.id)) == "not_claimed"
    assert len(mail.outbox) == 1
    assert OutboxMessage.objects.get().status == Status.SENT


def test_running_the_sweep_twice_sends_each_message_once():
    _email()
    _email()
    assert deliver_due_notifications.call() == 2
    assert deliver_due_notifications.call() == 0
    assert len(mail.outbox) == 2


def test_the_task_and_the_sweep_together_send_a_message_once():
    message = _email()
    deliver_due_notifications.call()
    deliver_notification.call(str(message.id))
    assert len(mail.outbox) == 1
