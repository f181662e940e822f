"""The number beside "Messages" in the staff navigation: open threads in any of the person's
inboxes (their role's teams or assigned to them) holding something they have not read."""

import pytest

from careloop.messaging.selectors.inbox import staff_unread_count
from careloop.messaging.services.assignment import thread_close, thread_reassign
from careloop.messaging.services.threads import note_add, thread_mark_read
from careloop.messaging.tests.messaging_builders import start

pytestmark = pytest.mark.django_db


def test_a_new_thread_counts_once_for_its_assignee_and_reading_it_clears_it(ann_thread, provider):
    assert staff_unread_count(user=provider) == 1
    thread_mark_read(actor=provider, thread=ann_thread)
    assert staff_unread_count(user=provider) == 0


def test_a_colleagues_note_makes_the_thread_unread_again(ann_thread, provider, admin):
    thread_mark_read(actor=provider, thread=ann_thread)
    note_add(actor=admin, thread=ann_thread, body="Lab results are in.")
    assert staff_unread_count(user=provider) == 1


def test_a_thread_assigned_outside_the_persons_teams_still_counts(ann_thread, provider, coach):
    thread_reassign(actor=provider, thread=ann_thread, assignee=coach, reason="Diet question")
    assert staff_unread_count(user=coach) == 1


def test_closed_threads_and_other_teams_threads_do_not_count(
    ann_in_concierge, provider, front_desk
):
    thread = start(ann_in_concierge)
    assert staff_unread_count(user=front_desk) == 0
    thread_close(actor=provider, thread=thread)
    assert staff_unread_count(user=provider) == 0


def test_a_patient_has_no_staff_count(ann_thread, patient_ann):
    assert staff_unread_count(user=patient_ann.user) == 0
