"""A patient starts a thread: it is stored with its first message, history, clock and audit."""

from datetime import UTC, datetime

from careloop.audit.models import AuditEvent
from careloop.messaging.models import Message, ResponseClock, ThreadChange, ThreadStatus


def test_a_concierge_patients_clinical_question_goes_to_their_primary_provider(
    ann_thread, provider, clinical
):
    assert ann_thread.status == ThreadStatus.OPEN
    assert ann_thread.team == clinical
    assert ann_thread.assignee == provider
    (message,) = Message.objects.filter(thread=ann_thread)
    assert message.from_patient
    assert message.kind == "message"
    assert message.body == "Is it fine to take my dose with food?"


def test_the_first_message_starts_a_four_business_hour_clock(ann_thread):
    clock = ResponseClock.objects.get(thread=ann_thread)
    assert clock.target_business_hours == 4
    # Monday 09:00 in Chicago + 4 business hours = 13:00 (19:00 UTC); warned at 75%: 12:00.
    assert clock.due_at == datetime(2026, 3, 2, 19, tzinfo=UTC)
    assert clock.warn_at == datetime(2026, 3, 2, 18, tzinfo=UTC)
    assert ann_thread.due_at == clock.due_at


def test_opening_is_recorded_in_the_history_and_the_audit_log(ann_thread, provider):
    (change,) = ThreadChange.objects.filter(thread=ann_thread)
    assert change.action == "open"
    assert change.to_assignee == provider
    assert "primary provider" in change.reason.lower()
    event = AuditEvent.objects.get(action="message.thread_start")
    assert event.patient_id == ann_thread.patient_id
    assert event.detail["assignee"] == provider.pk
