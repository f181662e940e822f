import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from careloop.notifications import email
from careloop.notifications.models import Channel
from careloop.notifications.services import notification_enqueue

pytestmark = pytest.mark.django_db


class AcceptsNothingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        return 0


def test_every_send_of_a_message_carries_the_same_message_id_from_its_outbox_id():
    message = notification_enqueue(
        channel=Channel.EMAIL,
        recipient="ann.avery@example.invalid",
        subject="Your visit",
        body="Your visit is confirmed.",
        kind="test",
    )
    first = email.send(message)
    second = email.send(message)
    expected = f"<{message.id}@careloop.invalid>"
    assert first == second == expected
    assert [sent.message()["Message-ID"] for sent in mail.outbox] == [expected, expected]
    assert mail.outbox[0].to == ["ann.avery@example.invalid"]
    assert mail.outbox[0].subject == "Your visit"
    assert mail.outbox[0].from_email == "Careloop <no-reply@careloop.invalid>"


def test_a_backend_that_accepts_nothing_is_an_error(settings):
    settings.EMAIL_BACKEND = f"{__name__}.AcceptsNothingBackend"
    message = notification_enqueue(
        channel=Channel.EMAIL, recipient="ann.avery@example.invalid", body="Hi.", kind="test"
    )
    with pytest.raises(email.EmailNotAccepted):
        email.send(message)
