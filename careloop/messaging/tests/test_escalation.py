"""The escalation job warns the assignee at 75% of the target and the team lead at breach,
each once however often it runs; a reply or closing the thread stops it."""

from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from careloop.accounts.roles import Role
from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.messaging.models import ResponseClock
from careloop.messaging.services.assignment import thread_close
from careloop.messaging.services.escalation import messaging_escalate
from careloop.messaging.services.threads import message_send
from careloop.notifications.models import OutboxMessage
from careloop.testing.factories import make_user

# Ann writes on Monday at 09:00 (Chicago): warned at 12:00, due at 13:00.
BEFORE_WARNING = datetime(2026, 3, 2, 17, 59, tzinfo=UTC)
AT_WARNING = datetime(2026, 3, 2, 18, tzinfo=UTC)
AT_BREACH = datetime(2026, 3, 2, 19, tzinfo=UTC)


@pytest.fixture
def lead(clinical, admin):
    person = make_user(role=Role.PROVIDER, username="lead_lee")
    clinical.lead = person
    clinical.save()
    return person


def notices(kind):
    return list(OutboxMessage.objects.filter(kind=kind).values_list("recipient", flat=True))


def test_nothing_is_sent_before_the_warning_is_due(ann_thread):
    assert messaging_escalate(now=BEFORE_WARNING).total == 0
    assert notices("messaging.response_warning") == []


def test_the_assignee_is_warned_once_at_three_quarters_of_the_target(ann_thread, provider):
    first = messaging_escalate(now=AT_WARNING)
    again = messaging_escalate(now=AT_WARNING)
    assert (first.warned, again.warned) == (1, 0)
    assert notices("messaging.response_warning") == [provider.email]
    assert ResponseClock.objects.get(thread=ann_thread).warned_at == AT_WARNING


def test_the_team_lead_is_told_once_at_breach(ann_thread, provider, lead):
    messaging_escalate(now=AT_WARNING)
    first = messaging_escalate(now=AT_BREACH)
    again = messaging_escalate(now=AT_BREACH)
    assert (first.breached, again.breached) == (1, 0)
    assert notices("messaging.response_breach") == [lead.email]
    assert AuditEvent.objects.filter(action="message.response_breach").count() == 1


def test_a_sweep_that_first_runs_after_the_breach_sends_only_the_breach(ann_thread, provider, lead):
    result = messaging_escalate(now=AT_BREACH)
    assert (result.warned, result.breached) == (0, 1)
    assert notices("messaging.response_warning") == []


def test_without_a_team_lead_the_admins_hear_of_the_breach(ann_thread, admin):
    messaging_escalate(now=AT_BREACH)
    assert notices("messaging.response_breach") == [admin.email]


def test_a_reply_in_time_stops_the_clock(ann_thread, provider):
    clock.freeze(datetime(2026, 3, 2, 16, tzinfo=UTC))
    message_send(actor=provider, thread=ann_thread, body="Yes, with food.")
    assert messaging_escalate(now=AT_BREACH).total == 0
    answered = ResponseClock.objects.get(thread=ann_thread)
    assert answered.answered_at == datetime(2026, 3, 2, 16, tzinfo=UTC)
    ann_thread.refresh_from_db()
    assert ann_thread.due_at is None


def test_a_closed_thread_is_never_escalated(ann_thread, provider):
    thread_close(actor=provider, thread=ann_thread)
    assert messaging_escalate(now=AT_BREACH).total == 0


def test_the_command_sends_what_is_due_and_says_so(ann_thread, provider, lead, capsys):
    clock.freeze(AT_BREACH)
    call_command("messaging", "escalate")
    assert capsys.readouterr().out == (
        "Response times as of 2026-03-02T19:00+00:00: 0 warned, 1 breached.\n"
    )
    call_command("messaging", "escalate")
    assert "0 warned, 0 breached" in capsys.readouterr().out
