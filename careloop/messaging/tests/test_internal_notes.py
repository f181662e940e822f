"""Internal notes sit beside the conversation for staff; the patient never sees them."""

from careloop.audit.models import AuditEvent
from careloop.messaging.models import ResponseClock
from careloop.messaging.selectors.inbox import patient_threads
from careloop.messaging.selectors.threads import thread_messages
from careloop.messaging.services.threads import message_send, note_add, thread_mark_read
from careloop.notifications.models import OutboxMessage


def test_the_patient_sees_the_reply_but_not_the_note(ann_thread, patient_ann, provider):
    note_add(actor=provider, thread=ann_thread, body="Check her last potassium first.")
    message_send(actor=provider, thread=ann_thread, body="Yes, with food is best.")
    seen_by_patient = [m.body for m in thread_messages(thread=ann_thread, viewer=patient_ann.user)]
    seen_by_staff = [m.body for m in thread_messages(thread=ann_thread, viewer=provider)]
    assert seen_by_patient == ["Is it fine to take my dose with food?", "Yes, with food is best."]
    assert seen_by_staff == [
        "Is it fine to take my dose with food?",
        "Check her last potassium first.",
        "Yes, with food is best.",
    ]


def test_a_note_neither_answers_the_clock_nor_notifies_the_patient(ann_thread, provider):
    outbox_before = OutboxMessage.objects.count()
    note_add(actor=provider, thread=ann_thread, body="Waiting on the pharmacist.")
    assert ResponseClock.objects.get(thread=ann_thread).answered_at is None
    assert OutboxMessage.objects.count() == outbox_before
    assert AuditEvent.objects.filter(action="message.note_add").count() == 1


def test_a_note_alone_leaves_the_patients_thread_read(ann_thread, patient_ann, provider):
    thread_mark_read(actor=patient_ann.user, thread=ann_thread)
    note_add(actor=provider, thread=ann_thread, body="Internal only.")
    (thread,) = patient_threads(patient=patient_ann)
    assert thread.unread is False
