"""The staff thread page: plan and target, messages and internal notes told apart, reply,
note, saved reply templates, claim / assign / reassign / close / reopen, receipts, and
bodies shown as text."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careloop.messaging.models import Attachment, Message, MessageKind, Thread, ThreadChange
from careloop.messaging.services.routing import reply_template_save
from careloop.messaging.services.threads import note_add, thread_mark_read
from careloop.messaging.tests.messaging_builders import snapshot, start
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def _page(client, thread: Thread) -> str:
    response = client.get(reverse("staff:message_thread", args=[thread.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_the_plan_its_response_target_and_the_message(ann_thread, provider):
    body = _page(signed_in_client(provider), ann_thread)
    assert "Concierge" in body
    assert "4 business hours" in body
    assert "Is it fine to take my dose with food?" in body


def test_an_internal_note_is_marked_as_not_visible_to_the_patient(ann_thread, provider):
    note_add(actor=provider, thread=ann_thread, body="Check her kidney panel first.")
    body = _page(signed_in_client(provider), ann_thread)
    assert 'class="message-item note"' in body
    assert "Internal — not visible to the patient" in body
    assert "Check her kidney panel first." in body


def test_markup_and_script_in_a_body_show_as_text(ann_in_concierge, provider):
    thread = start(ann_in_concierge, body="<script>alert('x')</script> <b>bold</b>")
    body = _page(signed_in_client(provider), thread)
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;" in body


def test_a_reply_is_sent_and_the_patient_read_receipt_follows(ann_thread, provider, patient_ann):
    client = signed_in_client(provider)
    response = client.post(
        reverse("staff:message_reply", args=[ann_thread.pk]), {"body": "Yes, with food."}
    )
    assert response.status_code == 302
    reply = Message.objects.get(thread=ann_thread, from_patient=False)
    assert reply.body == "Yes, with food."
    assert "Not yet read by the patient" in _page(client, ann_thread)
    thread_mark_read(actor=patient_ann.user, thread=ann_thread)
    assert "Read by the patient" in _page(client, ann_thread)


def test_an_empty_reply_is_refused_beside_its_field_and_nothing_is_stored(ann_thread, provider):
    before = snapshot()
    response = signed_in_client(provider).post(
        reverse("staff:message_reply", args=[ann_thread.pk]), {"body": "   "}
    )
    assert response.status_code == 422
    assert "Reply: Write a message before sending." in response.content.decode()
    assert "Nothing was changed." in response.content.decode()
    after = snapshot()
    assert after["messages"] == before["messages"]
    assert after["clocks"] == before["clocks"]


def test_a_note_is_added_from_the_page(ann_thread, provider):
    response = signed_in_client(provider).post(
        reverse("staff:message_note", args=[ann_thread.pk]), {"note-body": "Called pharmacy."}
    )
    assert response.status_code == 302
    assert Message.objects.get(kind=MessageKind.NOTE).body == "Called pharmacy."


def test_a_saved_reply_template_is_inserted_into_the_reply(ann_thread, provider, admin):
    template = reply_template_save(actor=admin, name="Food", body="Take it with a meal.")
    client = signed_in_client(provider)
    assert "Insert into the reply" in _page(client, ann_thread)
    response = client.get(
        reverse("staff:message_thread", args=[ann_thread.pk]), {"template": template.pk}
    )
    assert "Take it with a meal.</textarea>" in response.content.decode()


def test_reassigning_needs_a_reason_and_without_one_nothing_changes(ann_thread, provider, admin):
    before = snapshot()
    response = signed_in_client(provider).post(
        reverse("staff:message_thread_act", args=[ann_thread.pk]),
        {"action": "reassign", "assignee": admin.pk, "reason": ""},
    )
    assert response.status_code == 422
    assert "Reason: Say why" in response.content.decode()
    assert snapshot()["threads"] == before["threads"]
    assert snapshot()["changes"] == before["changes"]


def test_reassign_with_a_reason_then_close_and_reopen(ann_thread, provider, admin):
    client = signed_in_client(provider)
    url = reverse("staff:message_thread_act", args=[ann_thread.pk])
    response = client.post(url, {"action": "reassign", "assignee": admin.pk, "reason": "Away"})
    assert response.status_code == 302
    ann_thread.refresh_from_db()
    assert ann_thread.assignee_id == admin.pk
    assert client.post(url, {"action": "close", "reason": ""}).status_code == 302
    ann_thread.refresh_from_db()
    assert ann_thread.status == "closed"
    assert "This thread is closed; reopen it to reply." in _page(client, ann_thread)
    assert client.post(url, {"action": "reopen", "reason": ""}).status_code == 302
    ann_thread.refresh_from_db()
    assert ann_thread.status == "open"
    actions = list(ThreadChange.objects.filter(thread=ann_thread).values_list("action", flat=True))
    assert actions == ["open", "reassign", "close", "reopen"]


def test_an_unassigned_thread_is_claimed_from_the_page(ann_thread, provider):
    ann_thread.assignee = None
    ann_thread.save(update_fields=["assignee"])
    client = signed_in_client(provider)
    assert 'value="claim"' in _page(client, ann_thread)
    response = client.post(
        reverse("staff:message_thread_act", args=[ann_thread.pk]), {"action": "claim"}
    )
    assert response.status_code == 302
    ann_thread.refresh_from_db()
    assert ann_thread.assignee_id == provider.pk


def test_the_front_desk_cannot_open_a_clinical_thread(ann_thread, front_desk):
    before = snapshot()
    response = signed_in_client(front_desk).get(
        reverse("staff:message_thread", args=[ann_thread.pk])
    )
    assert response.status_code == 403
    assert snapshot()["read"] == before["read"]


def test_the_chart_lists_the_patients_threads(ann_thread, provider, patient_ann):
    response = signed_in_client(provider).get(reverse("staff:patient_chart", args=[patient_ann.pk]))
    body = response.content.decode()
    assert ">Messages</h2>" in body
    assert reverse("staff:message_thread", args=[ann_thread.pk]) in body


def test_the_chart_shows_the_message_timeline_with_notes_and_changes(
    ann_thread, provider, patient_ann
):
    note_add(actor=provider, thread=ann_thread, body="Check her kidney panel first.")
    response = signed_in_client(provider).get(reverse("staff:patient_chart", args=[patient_ann.pk]))
    body = response.content.decode()
    assert 'aria-label="Message timeline"' in body
    assert "<strong>Internal note</strong> by" in body
    assert "Check her kidney panel first." in body
    assert "Is it fine to take my dose with food?" in body
    assert "Opened, assigned to" in body


def test_a_reply_carries_a_file_that_downloads_only_for_those_who_may_read_the_thread(
    ann_thread, provider, front_desk
):
    pdf = b"%PDF-1.4 lab sheet"
    client = signed_in_client(provider)
    response = client.post(
        reverse("staff:message_reply", args=[ann_thread.pk]),
        {
            "body": "Your lab sheet is attached.",
            "attachments": [SimpleUploadedFile("labs.pdf", pdf, content_type="application/pdf")],
        },
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    url = reverse("staff:message_attachment", args=[attachment.pk])
    assert url in _page(client, ann_thread)
    download = client.get(url)
    assert download.content == pdf
    assert download["Content-Disposition"] == 'attachment; filename="labs.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert signed_in_client(front_desk).get(url).status_code == 403


def test_a_file_whose_content_does_not_match_its_type_is_refused_and_nothing_is_sent(
    ann_thread, provider
):
    before = snapshot()
    response = signed_in_client(provider).post(
        reverse("staff:message_reply", args=[ann_thread.pk]),
        {
            "body": "See attached.",
            "attachments": [
                SimpleUploadedFile("x.pdf", b"\x89PNG\r\n\x1a\nnot a pdf", "application/pdf")
            ],
        },
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "Attach files: x.pdf does not contain what a application/pdf file contains." in body
    assert "Nothing was changed." in body
    assert snapshot()["messages"] == before["messages"]
    assert not Attachment.objects.exists()


def test_the_thread_downloads_as_a_pdf_from_its_page(ann_thread, provider, front_desk):
    client = signed_in_client(provider)
    url = reverse("staff:message_export", args=[ann_thread.pk])
    assert url in _page(client, ann_thread)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="thread-{ann_thread.pk}.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert signed_in_client(front_desk).get(url).status_code == 403
