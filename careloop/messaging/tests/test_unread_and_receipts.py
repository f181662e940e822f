"""Unread counts are derived from the messages and each reader's mark, so they stay right;
read receipts show who has read what."""

from careloop.accounts.roles import Role
from careloop.messaging.models import ReadState
from careloop.messaging.selectors.inbox import (
    Inbox,
    inbox_threads,
    inbox_unread_count,
    patient_threads,
)
from careloop.messaging.selectors.threads import patient_read_up_to, staff_read_up_to
from careloop.messaging.services.threads import message_send, note_add, thread_mark_read
from careloop.testing.factories import make_user


def test_a_new_patient_thread_is_unread_for_its_assignee(ann_thread, provider):
    assert inbox_unread_count(user=provider, inbox=Inbox.MINE) == 1
    thread_mark_read(actor=provider, thread=ann_thread)
    assert inbox_unread_count(user=provider, inbox=Inbox.MINE) == 0


def test_a_staff_members_own_reply_does_not_make_the_thread_unread_for_them(ann_thread, provider):
    message_send(actor=provider, thread=ann_thread, body="Yes.")
    assert inbox_unread_count(user=provider, inbox=Inbox.MINE) == 0


def test_each_staff_member_has_their_own_mark(ann_thread, provider, clinical):
    colleague = make_user(role=Role.PROVIDER, username="provider_quinn")
    thread_mark_read(actor=provider, thread=ann_thread)
    assert inbox_unread_count(user=provider, inbox=Inbox.TEAM) == 0
    assert inbox_unread_count(user=colleague, inbox=Inbox.TEAM) == 1


def test_a_new_patient_message_after_reading_makes_it_unread_again(
    ann_thread, patient_ann, provider
):
    thread_mark_read(actor=provider, thread=ann_thread)
    message_send(actor=patient_ann.user, thread=ann_thread, body="One more thing.")
    (thread,) = inbox_threads(user=provider, inbox=Inbox.MINE)
    assert thread.unread is True


def test_the_patient_sees_a_reply_as_unread_until_they_open_the_thread(
    ann_thread, patient_ann, provider
):
    (thread,) = patient_threads(patient=patient_ann)
    assert thread.unread is False
    message_send(actor=provider, thread=ann_thread, body="Yes, with food.")
    (thread,) = patient_threads(patient=patient_ann)
    assert thread.unread is True
    thread_mark_read(actor=patient_ann.user, thread=ann_thread)
    (thread,) = patient_threads(patient=patient_ann)
    assert thread.unread is False


def test_the_read_mark_never_moves_back(ann_thread, patient_ann, provider):
    first = ann_thread.messages.get()
    message_send(actor=patient_ann.user, thread=ann_thread, body="Second.")
    assert thread_mark_read(actor=provider, thread=ann_thread) is True
    assert thread_mark_read(actor=provider, thread=ann_thread, up_to=first) is False
    mark = ReadState.objects.get(thread=ann_thread, reader=provider)
    assert mark.last_read_message.body == "Second."


def test_read_receipts_show_the_patient_that_staff_read_their_message(
    ann_thread, patient_ann, provider
):
    message = ann_thread.messages.get()
    assert staff_read_up_to(ann_thread) < message.pk
    thread_mark_read(actor=provider, thread=ann_thread)
    assert staff_read_up_to(ann_thread) == message.pk


def test_read_receipts_show_staff_that_the_patient_read_the_reply_not_a_note(
    ann_thread, patient_ann, provider
):
    reply = message_send(actor=provider, thread=ann_thread, body="Yes.")
    note = note_add(actor=provider, thread=ann_thread, body="Internal.")
    thread_mark_read(actor=patient_ann.user, thread=ann_thread)
    assert patient_read_up_to(ann_thread) == reply.pk
    assert patient_read_up_to(ann_thread) < note.pk
