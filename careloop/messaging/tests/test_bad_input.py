"""Bad input gets a clear error naming the field, and nothing is stored."""

import pytest

from careloop.core.errors import NotFound, PermissionDenied, ValidationFailed
from careloop.memberships.models import Plan
from careloop.messaging.errors import ThreadClosed
from careloop.messaging.services.assignment import thread_close
from careloop.messaging.services.threads import message_send, note_add, thread_start
from careloop.messaging.tests.messaging_builders import member, snapshot


@pytest.mark.parametrize("body", ["", "   \n\t  "])
def test_an_empty_message_is_refused_naming_the_body(ann_thread, patient_ann, body):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refusal:
        message_send(actor=patient_ann.user, thread=ann_thread, body=body)
    assert [error.field for error in refusal.value.errors] == ["body"]
    assert snapshot() == before


def test_an_oversized_message_is_refused_with_its_length(ann_thread, patient_ann, settings):
    settings.MESSAGING_BODY_MAX_CHARS = 50
    before = snapshot()
    with pytest.raises(ValidationFailed) as refusal:
        message_send(actor=patient_ann.user, thread=ann_thread, body="x" * 51)
    (error,) = refusal.value.errors
    assert (error.field, error.code) == ("body", "too_long")
    assert "51" in error.message
    assert snapshot() == before


def test_a_new_thread_names_every_field_that_is_wrong(ann_in_concierge):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refusal:
        thread_start(actor=ann_in_concierge.user, topic="gossip", body=" ", subject="s" * 201)
    assert sorted(error.field for error in refusal.value.errors) == ["body", "subject", "topic"]
    assert snapshot() == before


def test_a_patient_cannot_write_to_a_closed_thread(ann_thread, patient_ann, provider):
    thread_close(actor=provider, thread=ann_thread)
    before = snapshot()
    with pytest.raises(ThreadClosed, match="Start a new thread"):
        message_send(actor=patient_ann.user, thread=ann_thread, body="Hello again?")
    assert snapshot() == before


def test_staff_cannot_reply_to_a_closed_thread_without_reopening_it(ann_thread, provider):
    thread_close(actor=provider, thread=ann_thread)
    before = snapshot()
    with pytest.raises(ThreadClosed, match="reopen"):
        message_send(actor=provider, thread=ann_thread, body="Following up.")
    assert snapshot() == before


def test_a_patient_cannot_write_to_someone_elses_thread(admin, ann_thread, patient_bob):
    member(admin, Plan.objects.get(code="concierge"), patient_bob)
    before = snapshot()
    with pytest.raises(NotFound):
        message_send(actor=patient_bob.user, thread=ann_thread, body="Hi Ann.")
    assert snapshot() == before


def test_a_patient_cannot_add_an_internal_note(ann_thread, patient_ann):
    before = snapshot()
    with pytest.raises(NotFound):
        note_add(actor=patient_ann.user, thread=ann_thread, body="Note to self.")
    assert snapshot() == before


def test_staff_cannot_start_a_thread_as_a_patient(provider, clinical):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        thread_start(actor=provider, topic="other", body="Hello.")
    assert snapshot() == before


def test_markup_in_a_body_is_stored_as_the_text_it_is(ann_thread, patient_ann):
    body = '<script>alert("hi")</script> <b>bold?</b>'
    message = message_send(actor=patient_ann.user, thread=ann_thread, body=body)
    message.refresh_from_db()
    assert message.body == body
