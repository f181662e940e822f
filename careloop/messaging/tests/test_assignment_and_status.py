"""Claim, assign and reassign with a reason; close and reopen. Each change is history and an
audit row; what the lifecycle does not allow changes nothing."""

import pytest

from careloop.accounts.roles import Role
from careloop.audit.models import AuditEvent
from careloop.core.errors import Conflict, PermissionDenied, ValidationFailed
from careloop.messaging.errors import IllegalThreadTransition
from careloop.messaging.models import ResponseClock, ThreadStatus
from careloop.messaging.services.assignment import (
    thread_assign,
    thread_claim,
    thread_close,
    thread_reassign,
    thread_reopen,
)
from careloop.messaging.tests.messaging_builders import concierge, member, snapshot, start
from careloop.notifications.models import OutboxMessage
from careloop.testing.factories import make_user


@pytest.fixture
def unassigned(admin, patient_ann, clinical):
    member(admin, concierge(), patient_ann)  # no primary provider: left for claiming
    return start(patient_ann)


def test_a_provider_claims_an_unassigned_thread_of_their_team(unassigned, provider):
    thread = thread_claim(actor=provider, thread=unassigned)
    assert thread.assignee == provider
    change = thread.changes.latest("id")
    assert (change.action, change.to_assignee) == ("claim", provider)
    assert AuditEvent.objects.filter(action="message.thread_claim").count() == 1


def test_a_thread_already_held_cannot_be_claimed(unassigned, provider):
    thread_claim(actor=provider, thread=unassigned)
    colleague = make_user(role=Role.PROVIDER, username="provider_quinn")
    before = snapshot()
    with pytest.raises(Conflict, match="reassign"):
        thread_claim(actor=colleague, thread=unassigned)
    assert snapshot() == before


def test_the_front_desk_cannot_claim_a_clinical_teams_thread(unassigned, front_desk):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        thread_claim(actor=front_desk, thread=unassigned)
    assert snapshot() == before


def test_a_coordinator_assigns_a_thread_and_the_assignee_is_told(unassigned, coach, provider):
    thread_assign(actor=coach, thread=unassigned, assignee=provider)
    notice = OutboxMessage.objects.get(kind="messaging.assigned")
    assert notice.recipient == provider.email
    assert "Ann" not in notice.body
    assert "dose" not in notice.body


def test_reassigning_needs_a_reason(ann_thread, admin, coach):
    colleague = make_user(role=Role.PROVIDER, username="provider_quinn")
    before = snapshot()
    with pytest.raises(ValidationFailed) as refusal:
        thread_reassign(actor=admin, thread=ann_thread, assignee=colleague, reason=" ")
    assert refusal.value.errors[0].field == "reason"
    assert snapshot() == before
    thread = thread_reassign(
        actor=admin, thread=ann_thread, assignee=colleague, reason="Dr. Pat is in surgery."
    )
    change = thread.changes.latest("id")
    assert change.reason == "Dr. Pat is in surgery."
    assert change.to_assignee == colleague


def test_the_assignee_may_hand_their_thread_back_to_the_pool(ann_thread, provider):
    thread = thread_reassign(
        actor=provider, thread=ann_thread, assignee=None, reason="Away this afternoon."
    )
    assert thread.assignee is None


def test_billing_cannot_reassign_a_clinical_thread(ann_thread, billing):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        thread_reassign(actor=billing, thread=ann_thread, assignee=billing, reason="Mine now.")
    assert snapshot() == before


def test_closing_stops_the_response_clock_and_reopening_keeps_the_history(ann_thread, provider):
    closed = thread_close(actor=provider, thread=ann_thread, reason="Answered by phone.")
    assert closed.status == ThreadStatus.CLOSED
    assert closed.due_at is None
    assert ResponseClock.objects.get(thread=ann_thread).stopped_at is not None
    reopened = thread_reopen(actor=provider, thread=ann_thread, reason="Patient called back.")
    assert reopened.status == ThreadStatus.OPEN
    assert [c.action for c in reopened.changes.order_by("id")] == ["open", "close", "reopen"]


def test_a_closed_thread_cannot_be_closed_again(ann_thread, provider):
    thread_close(actor=provider, thread=ann_thread)
    before = snapshot()
    with pytest.raises(IllegalThreadTransition, match="closed cannot close"):
        thread_close(actor=provider, thread=ann_thread)
    assert snapshot() == before


def test_a_closed_thread_cannot_be_assigned(ann_thread, provider, admin):
    thread_close(actor=provider, thread=ann_thread)
    colleague = make_user(role=Role.PROVIDER, username="provider_quinn")
    before = snapshot()
    with pytest.raises(IllegalThreadTransition):
        thread_reassign(actor=admin, thread=ann_thread, assignee=colleague, reason="Cover.")
    assert snapshot() == before


@pytest.mark.parametrize(
    "act",
    [
        lambda patient, thread: thread_claim(actor=patient, thread=thread),
        lambda patient, thread: thread_close(actor=patient, thread=thread, reason="Sorted"),
        lambda patient, thread: thread_reassign(
            actor=patient, thread=thread, assignee=None, reason="Not needed"
        ),
    ],
    ids=["claim", "close", "reassign"],
)
def test_a_patient_cannot_claim_close_or_reassign_their_own_thread(unassigned, patient_ann, act):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        act(patient_ann.user, unassigned)
    assert snapshot() == before
