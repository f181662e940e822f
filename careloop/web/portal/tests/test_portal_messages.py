"""Secure messages in the portal: the list with unread marks, starting a thread, the thread
with replies (never internal notes), receipts and the plan's response time, the emergency
notice, and why messaging is closed when it is."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careloop.memberships.models import Membership
from careloop.messaging.models import Message, Thread
from careloop.messaging.services.threads import message_send, note_add
from careloop.messaging.tests.messaging_builders import (
    active_care,
    concierge,
    essentials,
    member,
    primary_provider,
    snapshot,
    start,
)
from careloop.patients.models import Patient
from careloop.patients.services import household_create
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db

EMERGENCY = "If this is an emergency, call 911."


@pytest.fixture
def ann(ann_in_concierge: Patient) -> Patient:
    """Ann, a Concierge member whose primary provider is `provider` (messaging_fixtures)."""
    return ann_in_concierge


def _client(patient: Patient):
    assert patient.user is not None
    return signed_in_client(patient.user)


def test_the_messages_page_shows_the_emergency_notice_and_the_response_time(ann):
    response = _client(ann).get(reverse("portal:messages"))
    body = response.content.decode()
    assert response.status_code == 200
    assert EMERGENCY in body
    assert "the care team answers within 4 business hours" in body
    assert "Write to the care team" in body


def test_a_patient_starts_a_thread_with_a_file_and_it_is_routed(ann, provider):
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 20
    response = _client(ann).post(
        reverse("portal:message_start"),
        {
            "topic": "clinical_question",
            "subject": "Dose",
            "body": "Can I take it with food?",
            "attachments": [SimpleUploadedFile("photo.png", png, content_type="image/png")],
        },
    )
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:message_thread", args=[thread.pk])
    assert thread.assignee_id == provider.pk
    assert thread.attachments.get().file_name == "photo.png"
    page = _client(ann).get(response["Location"]).content.decode()
    assert "Can I take it with food?" in page
    assert "photo.png" in page
    assert "Not yet read" in page
    download = _client(ann).get(
        reverse("portal:message_attachment", args=[thread.attachments.get().pk])
    )
    assert download.content == png
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_an_empty_message_is_refused_and_nothing_is_stored(ann):
    before = snapshot()
    response = _client(ann).post(
        reverse("portal:message_start"), {"topic": "clinical_question", "body": " "}
    )
    assert response.status_code == 422
    assert "Message: Write a message before sending." in response.content.decode()
    assert snapshot()["threads"] == before["threads"]


def test_the_patient_sees_the_reply_and_its_receipt_but_never_the_note(ann, provider):
    thread = start(ann)
    note_add(actor=provider, thread=thread, body="Internal: check renal function")
    message_send(actor=provider, thread=thread, body="Yes, take it with food.")
    listing = _client(ann).get(reverse("portal:messages")).content.decode()
    assert "New reply" in listing
    page = _client(ann).get(reverse("portal:message_thread", args=[thread.pk])).content.decode()
    assert "Yes, take it with food." in page
    assert "renal function" not in page
    assert "Read by the care team" in page
    after = _client(ann).get(reverse("portal:messages")).content.decode()
    assert "New reply" not in after


def test_markup_in_a_reply_shows_as_text(ann, provider):
    thread = start(ann)
    message_send(actor=provider, thread=thread, body='<img src=x onerror="alert(1)">')
    page = _client(ann).get(reverse("portal:message_thread", args=[thread.pk])).content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_another_patients_thread_is_not_found_and_cannot_be_written_to(ann, patient_bob):
    thread = start(ann)
    before = snapshot()
    client = _client(patient_bob)
    url = reverse("portal:message_thread", args=[thread.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"body": "Hello"}).status_code == 404
    assert snapshot()["messages"] == before["messages"]


def test_the_daily_limit_refusal_is_shown_and_nothing_is_sent(
    admin, provider, patient_ann, clinical
):
    member(admin, concierge(messaging_daily_limit=1), patient_ann)
    primary_provider(admin, patient_ann, provider)
    thread = start(patient_ann)
    before = snapshot()
    response = _client(patient_ann).post(
        reverse("portal:message_thread", args=[thread.pk]), {"body": "One more thing"}
    )
    body = response.content.decode()
    assert response.status_code == 429
    assert "allows 1 message a day, and you have sent 1 today" in body
    assert "Your message was not sent." in body
    assert snapshot()["messages"] == before["messages"]


def test_a_plan_without_messaging_says_why_and_offers_the_tier_that_has_it(
    admin, patient_ann, clinical
):
    active_care()
    member(admin, essentials(), patient_ann)
    response = _client(patient_ann).get(reverse("portal:message_start"))
    body = response.content.decode()
    assert EMERGENCY in body
    assert "Messaging is closed" in body
    assert "plan does not include secure messaging" in body
    assert "Messaging is included in the <strong>Active Care</strong> plan" in body
    assert "Send message" not in body


def test_an_ended_membership_closes_messaging_and_a_post_stores_nothing(ann):
    Membership.objects.filter(members__patient=ann).update(status="ended")
    before = snapshot()
    response = _client(ann).post(
        reverse("portal:message_start"), {"topic": "clinical_question", "body": "Hello?"}
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert "membership has ended" in body
    assert "What to do instead:" in body
    assert snapshot()["threads"] == before["threads"]
    assert not Message.objects.exists()


def test_only_topics_with_a_routing_rule_are_offered(ann):
    page = _client(ann).get(reverse("portal:message_start")).content.decode()
    assert '<option value="clinical_question">Clinical question</option>' in page
    assert 'value="billing"' not in page


def test_a_past_due_membership_may_still_write_with_a_warning(ann):
    Membership.objects.filter(members__patient=ann).update(status="past_due")
    page = _client(ann).get(reverse("portal:message_start")).content.decode()
    assert "has a payment past due. Please update your card" in page
    assert "Send message" in page


def test_a_member_shares_a_thread_and_the_head_reads_it_without_writing(
    ann, patient_bob, front_desk, provider
):
    household_create(actor=front_desk, name="Baker home", head=patient_bob, members=[ann])
    thread = start(ann)
    note_add(actor=provider, thread=thread, body="Internal: check renal function")
    message_send(actor=provider, thread=thread, body="Yes, take it with food.")
    url = reverse("portal:message_thread", args=[thread.pk])
    assert _client(patient_bob).get(url).status_code == 404

    own_page = _client(ann).get(url).content.decode()
    assert "Only you and the care team can read this conversation." in own_page
    shared = _client(ann).post(
        reverse("portal:message_sharing", args=[thread.pk]), {"shared": "yes"}
    )
    assert shared.status_code == 302
    assert "Stop sharing with Bob Baker" in _client(ann).get(url).content.decode()

    listing = _client(patient_bob).get(reverse("portal:messages")).content.decode()
    assert "Shared with you by your household" in listing
    assert "Ann Avery: Clinical question" in listing
    page = _client(patient_bob).get(url).content.decode()
    assert "Ann Avery shared this conversation with you." in page
    assert "Yes, take it with food." in page
    assert "renal function" not in page
    assert "Send message" not in page
    before = snapshot()
    assert _client(patient_bob).post(url, {"body": "Hello"}).status_code == 403
    assert snapshot()["messages"] == before["messages"]


def test_a_patient_outside_a_household_is_told_there_is_no_one_to_share_with(ann):
    thread = start(ann)
    page = _client(ann).get(reverse("portal:message_thread", args=[thread.pk])).content.decode()
    assert "Share with" not in page
    response = _client(ann).post(
        reverse("portal:message_sharing", args=[thread.pk]), {"shared": "yes"}, follow=True
    )
    assert "You are not part of a household" in response.content.decode()
    assert Thread.objects.get().shared_with_household is False


def test_the_list_pages_through_older_threads(ann, provider):
    threads = [start(ann, f"Question {number}") for number in range(27)]
    Thread.objects.filter(pk__in=[thread.pk for thread in threads]).update(status="closed")
    first = _client(ann).get(reverse("portal:messages")).content.decode()
    assert first.count('class="thread-list"') == 1
    assert reverse("portal:message_thread", args=[threads[-1].pk]) in first
    assert reverse("portal:message_thread", args=[threads[1].pk]) not in first
    assert "Older messages" in first
    second = _client(ann).get(reverse("portal:messages") + "?page=2").content.decode()
    assert reverse("portal:message_thread", args=[threads[0].pk]) in second
    assert reverse("portal:message_thread", args=[threads[1].pk]) in second
    assert "Older messages" not in second
    assert "Newer messages" in second
