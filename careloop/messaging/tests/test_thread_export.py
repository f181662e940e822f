"""A thread exported as a PDF for the record: messages, internal notes marked, attachments by
name and history; staff who may read the thread only, and every export audited."""

import pytest

from careloop.audit.models import AuditEvent
from careloop.billing.tests.test_receipt_pdf import pdf_text
from careloop.core.errors import NotFound, PermissionDenied
from careloop.messaging.attachments import AttachmentUpload
from careloop.messaging.services.export import NOTE_MARK, thread_export
from careloop.messaging.services.threads import message_send, note_add
from careloop.messaging.tests.messaging_builders import start

pytestmark = pytest.mark.django_db


def test_the_pdf_holds_each_message_and_the_note_marked_as_internal(ann_in_concierge, provider):
    thread = start(
        ann_in_concierge,
        attachments=[AttachmentUpload("rash.png", "image/png", b"\x89PNG\r\n\x1a\nxxxx")],
    )
    note_add(actor=provider, thread=thread, body="Looks like contact dermatitis.")
    message_send(actor=provider, thread=thread, body="Please use the cream twice a day.")
    document = thread_export(actor=provider, thread=thread)
    text = pdf_text(document)
    assert document.startswith(b"%PDF-")
    assert f"Secure message thread {thread.pk}" in text
    assert "Is it fine to take my dose with food?" in text
    assert "Looks like contact dermatitis." in text
    assert NOTE_MARK in text
    assert "Please use the cream twice a day." in text
    assert "Attachment: rash.png (image/png" in text
    assert AuditEvent.objects.filter(
        action="message.thread_export", actor_id=provider.pk, outcome="success"
    ).exists()


def test_markup_in_a_body_is_printed_as_the_text_it_is(ann_in_concierge, provider):
    thread = start(ann_in_concierge, body="<b>bold</b> & done")
    assert "<b>bold</b> & done" in pdf_text(thread_export(actor=provider, thread=thread))


def test_a_patient_cannot_export_even_their_own_thread(ann_thread, patient_ann):
    with pytest.raises(NotFound):
        thread_export(actor=patient_ann.user, thread=ann_thread)
    assert AuditEvent.objects.filter(action="message.thread_export", outcome="denied").exists()


def test_staff_outside_the_threads_team_cannot_export_it(ann_thread, front_desk):
    with pytest.raises(PermissionDenied):
        thread_export(actor=front_desk, thread=ann_thread)
    assert not AuditEvent.objects.filter(action="message.thread_export", outcome="success").exists()
