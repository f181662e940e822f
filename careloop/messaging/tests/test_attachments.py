"""Attachments: an allow-list of types, a size limit, content that matches the declared type,
files under unguessable names outside the database, served only after the access check."""

import hashlib
import os
import stat

import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import NotFound, PermissionDenied, ValidationFailed
from careloop.messaging.attachments import AttachmentUpload
from careloop.messaging.models import Attachment
from careloop.messaging.services.attachments import AttachmentDamaged, attachment_open
from careloop.messaging.services.threads import message_send
from careloop.messaging.tests.messaging_builders import snapshot

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf(name="lab-report.pdf", data=PDF, content_type="application/pdf"):
    return AttachmentUpload(file_name=name, content_type=content_type, data=data)


def stored_files(folder):
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def test_a_pdf_is_stored_outside_the_database_under_a_random_name(
    ann_thread, patient_ann, attachment_folder
):
    message = message_send(
        actor=patient_ann.user, thread=ann_thread, body="My report.", attachments=[pdf()]
    )
    (attachment,) = Attachment.objects.filter(message=message)
    assert (attachment.file_name, attachment.content_type, attachment.size) == (
        "lab-report.pdf",
        "application/pdf",
        len(PDF),
    )
    (path,) = stored_files(attachment_folder)
    assert path.name == attachment.storage_name
    assert "lab-report" not in str(path)
    assert len(attachment.storage_name) >= 43  # 256 random bits
    assert path.read_bytes() == PDF
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_the_patient_and_their_care_team_download_it(ann_thread, patient_ann, provider):
    message_send(actor=patient_ann.user, thread=ann_thread, body="Report.", attachments=[pdf()])
    attachment = Attachment.objects.get()
    for reader in (patient_ann.user, provider):
        opened = attachment_open(actor=reader, attachment_id=attachment.pk)
        assert opened.data == PDF
        assert opened.content_type == "application/pdf"
    assert (
        AuditEvent.objects.filter(action="message.attachment_open", outcome="success").count() == 2
    )


def test_another_patient_cannot_download_it(ann_thread, patient_ann, patient_bob):
    message_send(actor=patient_ann.user, thread=ann_thread, body="Report.", attachments=[pdf()])
    attachment = Attachment.objects.get()
    with pytest.raises(NotFound):
        attachment_open(actor=patient_bob.user, attachment_id=attachment.pk)
    denied = AuditEvent.objects.get(action="message.attachment_open")
    assert (denied.outcome, denied.patient_id) == ("denied", None)


def test_staff_outside_the_threads_team_cannot_download_it(ann_thread, patient_ann, billing):
    message_send(actor=patient_ann.user, thread=ann_thread, body="Report.", attachments=[pdf()])
    with pytest.raises(PermissionDenied):
        attachment_open(actor=billing, attachment_id=Attachment.objects.get().pk)


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (
            pdf(name="run-me.exe", content_type="application/x-msdownload", data=b"MZ\x90"),
            "type_not_allowed",
        ),
        (pdf(data=b""), "empty"),
        (pdf(data=PNG), "content_mismatch"),
        (pdf(name="notes.txt", content_type="text/plain", data=PDF), "content_mismatch"),
        (pdf(name="photo.png", content_type="image/png", data=b"just text"), "content_mismatch"),
        (pdf(data=PDF + b"x" * 100), "too_large"),
    ],
)
def test_a_file_that_may_not_be_stored_refuses_the_whole_message(
    ann_thread, patient_ann, attachment_folder, settings, upload, code
):
    settings.MESSAGING_ATTACHMENT_MAX_BYTES = len(PDF) + 50
    before = snapshot()
    with pytest.raises(ValidationFailed) as refusal:
        message_send(
            actor=patient_ann.user,
            thread=ann_thread,
            body="See attached.",
            attachments=[pdf(name="fine.pdf"), upload],
        )
    (error,) = refusal.value.errors
    assert (error.field, error.code) == ("attachments[1]", code)
    assert snapshot() == before
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_folder) == []


def test_a_message_refused_after_its_files_were_written_leaves_no_file(
    ann_thread, patient_ann, attachment_folder, monkeypatch
):
    from careloop.messaging.services import threads

    def fail(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(threads, "audit_record", fail)
    with pytest.raises(RuntimeError):
        message_send(actor=patient_ann.user, thread=ann_thread, body="x", attachments=[pdf()])
    assert Attachment.objects.count() == 0
    assert stored_files(attachment_folder) == []


def test_a_file_changed_on_disk_is_refused_at_download(ann_thread, patient_ann, attachment_folder):
    message_send(actor=patient_ann.user, thread=ann_thread, body="Report.", attachments=[pdf()])
    (path,) = stored_files(attachment_folder)
    path.write_bytes(b"%PDF-tampered")
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    with pytest.raises(AttachmentDamaged):
        attachment_open(actor=patient_ann.user, attachment_id=attachment.pk)


def test_a_folder_in_the_file_name_is_dropped(ann_thread, patient_ann):
    message_send(
        actor=patient_ann.user,
        thread=ann_thread,
        body="Report.",
        attachments=[pdf(name="../../etc/passwd.pdf")],
    )
    assert Attachment.objects.get().file_name == "passwd.pdf"
