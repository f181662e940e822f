"""The plan's daily limit protects staff: one message too many is refused with a clear error.

The day is the clinic's calendar day (America/Chicago).
"""

from datetime import UTC, datetime

import pytest

from careloop.core import clock
from careloop.messaging.errors import DailyLimitReached
from careloop.messaging.models import Message
from careloop.messaging.services.threads import message_send
from careloop.messaging.tests.messaging_builders import concierge, member, snapshot, start


@pytest.fixture
def limited_ann(admin, patient_ann, clinical):
    member(admin, concierge(messaging_daily_limit=2), patient_ann)
    return patient_ann


def test_the_message_beyond_the_daily_limit_is_refused(limited_ann):
    thread = start(limited_ann)
    message_send(actor=limited_ann.user, thread=thread, body="And another question.")
    before = snapshot()
    with pytest.raises(DailyLimitReached) as refusal:
        message_send(actor=limited_ann.user, thread=thread, body="A third message.")
    assert refusal.value.code == "daily_message_limit"
    assert "allows 2 messages a day" in refusal.value.message
    assert "sent 2 today" in refusal.value.message
    assert snapshot() == before


def test_starting_a_new_thread_counts_towards_the_limit(limited_ann):
    start(limited_ann)
    start(limited_ann, "Second question.")
    before = snapshot()
    with pytest.raises(DailyLimitReached):
        start(limited_ann, "Third question.")
    assert snapshot() == before


def test_the_limit_starts_again_on_the_next_clinic_day(limited_ann):
    thread = start(limited_ann)
    message_send(actor=limited_ann.user, thread=thread, body="Second.")
    # 05:59 UTC on Tuesday is still Monday 23:59 in Chicago.
    clock.freeze(datetime(2026, 3, 3, 5, 59, tzinfo=UTC))
    with pytest.raises(DailyLimitReached):
        message_send(actor=limited_ann.user, thread=thread, body="Late Monday night.")
    clock.freeze(datetime(2026, 3, 3, 6, 0, tzinfo=UTC))
    message_send(actor=limited_ann.user, thread=thread, body="Tuesday, just after midnight.")
    assert Message.objects.filter(thread=thread).count() == 3


def test_staff_replies_do_not_count_towards_the_patients_limit(limited_ann, provider):
    thread = start(limited_ann)
    for number in range(3):
        message_send(actor=provider, thread=thread, body=f"Reply {number}.")
    message_send(actor=limited_ann.user, thread=thread, body="Thanks!")
