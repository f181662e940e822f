"""Notices go through the outbox without clinical detail, throttled per thread and person."""

from datetime import timedelta

from careloop.core import clock
from careloop.messaging.services.threads import message_send
from careloop.notifications.models import OutboxMessage


def replies_notified():
    return OutboxMessage.objects.filter(kind="messaging.reply")


def test_a_reply_tells_the_patient_without_saying_what_it_is_about(
    ann_thread, patient_ann, provider
):
    message_send(actor=provider, thread=ann_thread, body="Your potassium is fine.")
    (notice,) = replies_notified()
    assert notice.recipient == patient_ann.email
    assert notice.subject == "New secure message from Careloop Clinic"
    assert notice.body.startswith("You have a new secure message from Careloop Clinic.")
    assert "potassium" not in notice.body
    assert "dose" not in notice.body


def test_replies_in_quick_succession_notify_the_patient_once(ann_thread, provider):
    for minute in range(3):
        message_send(actor=provider, thread=ann_thread, body=f"Part {minute + 1}.")
        clock.advance(timedelta(minutes=5))
    assert replies_notified().count() == 1


def test_a_reply_after_the_throttle_window_notifies_again(ann_thread, provider, settings):
    settings.MESSAGING_NOTIFY_EVERY_MINUTES = 15
    message_send(actor=provider, thread=ann_thread, body="First.")
    clock.advance(timedelta(minutes=16))
    message_send(actor=provider, thread=ann_thread, body="Second.")
    assert replies_notified().count() == 2


def test_the_assignee_hears_of_new_patient_messages_throttled(ann_thread, patient_ann, provider):
    # Starting the thread assigned it (one assignment notice); then two quick messages.
    clock.advance(timedelta(minutes=1))
    message_send(actor=patient_ann.user, thread=ann_thread, body="Also, can I drink coffee?")
    message_send(actor=patient_ann.user, thread=ann_thread, body="And tea?")
    notices = OutboxMessage.objects.filter(kind="messaging.patient_message")
    assert notices.count() == 0  # the assignment notice a minute ago is within the window
    clock.advance(timedelta(minutes=20))
    message_send(actor=patient_ann.user, thread=ann_thread, body="Never mind, found it.")
    (notice,) = OutboxMessage.objects.filter(kind="messaging.patient_message")
    assert notice.recipient == provider.email
    assert "coffee" not in notice.body
