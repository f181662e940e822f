from datetime import UTC, datetime, timedelta

import pytest

from careloop.core import clock
from careloop.notifications.delivery import (
    MAX_ATTEMPTS,
    Outcome,
    outbox_deliver,
    outbox_deliver_due,
    retry_delay,
)
from careloop.notifications.models import Channel, OutboxMessage, Status
from careloop.notifications.services import Attachment, notification_enqueue

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _email():
    return notification_enqueue(
        channel=Channel.EMAIL,
        recipient="ann.avery@example.invalid",
        subject="Your visit",
        body="Your visit is confirmed.",
        kind="test",
    )


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 60), (8, 60), (500, 60)],
)
def test_the_retry_delay_doubles_up_to_an_hour(attempts, minutes):
    assert retry_delay(attempts) == timedelta(minutes=minutes)


def test_a_refused_email_is_retried_with_backoff_until_the_server_accepts_it(smtp_settings):
    clock.freeze(NOON)
    smtp_settings.handler.refusals = 2
    message = _email()

    assert outbox_deliver(message_id=message.id) is Outcome.RETRY
    stored = OutboxMessage.objects.get()
    assert (stored.status, stored.attempts) == (Status.PENDING, 1)
    assert stored.next_attempt_at == NOON + timedelta(minutes=1)
    assert "451" in stored.last_error
    assert stored.claimed_until is None

    clock.advance(timedelta(seconds=59))
    assert outbox_deliver_due() == 0
    assert OutboxMessage.objects.get().attempts == 1

    clock.advance(timedelta(seconds=1))
    assert outbox_deliver_due() == 0
    stored = OutboxMessage.objects.get()
    assert stored.attempts == 2
    assert stored.next_attempt_at == clock.now() + timedelta(minutes=2)

    clock.advance(timedelta(minutes=2))
    assert outbox_deliver_due() == 1
    stored = OutboxMessage.objects.get()
    assert (stored.status, stored.attempts, stored.last_error) == (Status.SENT, 3, "")
    assert stored.sent_at == clock.now()
    assert smtp_settings.handler.message_ids() == [f"<{message.id}@careloop.invalid>"]
    assert stored.provider_message_id == f"<{message.id}@careloop.invalid>"


def test_an_email_is_marked_failed_after_the_last_attempt_and_kept(smtp_settings):
    clock.freeze(NOON)
    smtp_settings.handler.refusals = 1000
    message = _email()
    waits = []
    for _ in range(MAX_ATTEMPTS):
        assert outbox_deliver_due() == 0
        stored = OutboxMessage.objects.get()
        if stored.status == Status.PENDING:
            waits.append(stored.next_attempt_at - clock.now())
            clock.advance(stored.next_attempt_at - clock.now())

    stored = OutboxMessage.objects.get(id=message.id)
    assert (stored.status, stored.attempts) == (Status.FAILED, MAX_ATTEMPTS)
    assert "451" in stored.last_error
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60)]
    clock.advance(timedelta(days=1))
    assert outbox_deliver_due() == 0
    assert OutboxMessage.objects.get().attempts == MAX_ATTEMPTS
    assert smtp_settings.handler.messages == []


def test_an_unreachable_smtp_server_leaves_the_email_pending_for_a_retry(settings):
    from careloop.notifications.tests.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 5
    clock.freeze(NOON)
    _email()
    assert outbox_deliver_due() == 0
    stored = OutboxMessage.objects.get()
    assert (stored.status, stored.attempts) == (Status.PENDING, 1)
    assert "ConnectionRefusedError" in stored.last_error


def test_an_attachment_reaches_the_smtp_server_with_its_name_and_type(smtp_settings):
    calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    message = notification_enqueue(
        channel=Channel.EMAIL,
        recipient="ann.avery@example.invalid",
        subject="Your visit is booked",
        body="Your visit is booked.",
        kind="test",
        attachment=Attachment("visit.ics", "text/calendar; charset=utf-8", calendar),
    )

    assert outbox_deliver(message_id=message.id) is Outcome.SENT
    [received] = smtp_settings.handler.messages
    [part] = list(received.iter_attachments())
    assert part.get_filename() == "visit.ics"
    assert part.get_content_type() == "text/calendar"
    assert part.get_content().replace("\r\n", "\n") == calendar.replace("\r\n", "\n")
    assert received.get_body(("plain",)).get_content().strip() == "Your visit is booked."
