"""The staff inboxes and the unread count beside "Messages" in the navigation."""

from datetime import timedelta

import pytest
from django.urls import reverse

from careloop.core import clock
from careloop.messaging.services.threads import message_send
from careloop.messaging.tests.messaging_builders import start
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def test_a_routed_thread_is_in_the_providers_inbox_with_its_due_time_and_target(
    ann_thread, provider
):
    response = signed_in_client(provider).get(reverse("staff:message_inbox"))
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("staff:message_thread", args=[ann_thread.pk]) in body
    assert "Ann" in body
    assert "4 business hours" in body
    assert "Unread" in body
    assert "Overdue since" not in body


def test_the_navigation_counts_unread_threads_and_reading_one_clears_it(ann_thread, provider):
    client = signed_in_client(provider)
    page = client.get(reverse("staff:message_inbox")).content.decode()
    assert 'class="nav-count">1<' in page
    client.get(reverse("staff:message_thread", args=[ann_thread.pk]))
    page = client.get(reverse("staff:message_inbox")).content.decode()
    assert "nav-count" not in page


def test_a_thread_past_its_due_time_is_highlighted_in_the_overdue_inbox(ann_thread, provider):
    clock.freeze(ann_thread.due_at + timedelta(minutes=1))
    response = signed_in_client(provider).get(reverse("staff:message_inbox_overdue"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Overdue since" in body
    assert 'class="unread overdue"' in body


def test_the_team_and_unassigned_inboxes_list_their_threads(ann_thread, provider, admin):
    ann_thread.assignee = None
    ann_thread.save(update_fields=["assignee"])
    client = signed_in_client(provider)
    for name in ("staff:message_inbox_team", "staff:message_inbox_unassigned"):
        body = client.get(reverse(name)).content.decode()
        assert reverse("staff:message_thread", args=[ann_thread.pk]) in body, name
    mine = client.get(reverse("staff:message_inbox")).content.decode()
    assert "Nothing is assigned to you." in mine


def test_the_front_desk_does_not_see_a_clinical_thread_in_its_inboxes(ann_thread, front_desk):
    client = signed_in_client(front_desk)
    for name in ("staff:message_inbox_team", "staff:message_inbox_unassigned"):
        body = client.get(reverse(name)).content.decode()
        assert reverse("staff:message_thread", args=[ann_thread.pk]) not in body


def test_a_reply_answers_the_thread_so_it_shows_no_due_time(ann_thread, provider):
    message_send(actor=provider, thread=ann_thread, body="Yes, with food is fine.")
    start(ann_thread.patient, body="Another question")
    body = signed_in_client(provider).get(reverse("staff:message_inbox")).content.decode()
    assert "Answered" in body
