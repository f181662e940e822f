"""The chart's message timeline: messages, internal notes with their files, assignments and
status changes of the threads the viewer may read, newest first, bodies as short excerpts."""

from datetime import UTC, datetime, timedelta

import pytest

from careloop.core import clock
from careloop.messaging.attachments import AttachmentUpload
from careloop.messaging.selectors.inbox import threads_of_patient
from careloop.messaging.selectors.timeline import EXCERPT, TimelineEntry, message_timeline
from careloop.messaging.services.assignment import thread_close, thread_reassign
from careloop.messaging.services.threads import message_send, note_add
from careloop.messaging.tests.messaging_builders import start

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%%EOF\n"


def _timeline(user, patient) -> list[TimelineEntry]:
    return message_timeline(readable=threads_of_patient(user=user, patient=patient))


def _tick(minutes: int) -> None:
    clock.freeze(datetime(2026, 3, 2, 15, tzinfo=UTC) + timedelta(minutes=minutes))


def test_every_message_note_and_change_appears_newest_first(ann_in_concierge, provider, admin):
    _tick(0)
    thread = start(ann_in_concierge, body="Is it fine to take my dose with food?")
    _tick(1)
    note_add(actor=provider, thread=thread, body="Check the renal panel first.")
    _tick(2)
    message_send(
        actor=provider,
        thread=thread,
        body="Yes, with food.",
        attachments=[AttachmentUpload("plan.pdf", "application/pdf", PDF)],
    )
    _tick(3)
    thread_reassign(actor=admin, thread=thread, assignee=admin, reason="Covering today")
    _tick(4)
    thread_close(actor=admin, thread=thread)

    entries = _timeline(admin, ann_in_concierge)

    assert [(entry.kind, entry.what, entry.attachments) for entry in entries] == [
        ("close", "Closed", 0),
        ("reassign", f"Reassigned to {admin.display_name}: Covering today", 0),
        ("message", "Yes, with food.", 1),
        ("note", "Check the renal panel first.", 0),
        ("message", "Is it fine to take my dose with food?", 0),
        (
            "open",
            f"Opened, assigned to {provider.display_name}: "
            "Routed by the clinical question rule: Primary provider.",
            0,
        ),
    ]
    assert entries[2].who == provider.display_name
    assert {entry.thread for entry in entries} == {thread}


def test_a_long_body_is_cut_to_an_excerpt(ann_in_concierge, provider):
    start(ann_in_concierge, body="word " * 100)
    (message,) = [
        entry for entry in _timeline(provider, ann_in_concierge) if entry.kind == "message"
    ]
    assert len(message.what) == EXCERPT
    assert message.what.endswith("…")


def test_threads_the_viewer_may_not_read_leave_nothing_on_their_timeline(
    ann_in_concierge, front_desk
):
    start(ann_in_concierge)
    assert _timeline(front_desk, ann_in_concierge) == []
