"""Who reaches a thread: its patient (others get "not found"), and staff per role policy.

Clinical staff and admins read every thread; the front desk and billing only the threads
routed to their team or assigned to them. Every attempt is an audit event; a refusal changes
nothing else.
"""

import pytest

from careloop.accounts.policy import Capability
from careloop.accounts.roles import Role
from careloop.audit.models import AuditEvent
from careloop.core.errors import NotFound, PermissionDenied
from careloop.memberships.models import Plan
from careloop.messaging.access import access_thread
from careloop.messaging.models import RoutingTarget, Topic
from careloop.messaging.selectors.inbox import Inbox, inbox_threads
from careloop.messaging.services.threads import message_send
from careloop.messaging.tests.messaging_builders import member, rule, snapshot, start, team

ALLOWED = "allowed"
FORBIDDEN = "forbidden"
NOT_FOUND = "not found"

# Ann's clinical thread, assigned to her primary provider, in the clinical team.
CLINICAL_THREAD = {
    "admin": ALLOWED,
    "provider": ALLOWED,
    "coach": ALLOWED,
    "front_desk": FORBIDDEN,
    "billing": FORBIDDEN,
    "patient_ann": ALLOWED,
    "patient_bob": NOT_FOUND,
}


def who(request, name):
    person = request.getfixturevalue(name)
    return person.user if name.startswith("patient_") else person


@pytest.mark.parametrize(("name", "expected"), CLINICAL_THREAD.items())
def test_reading_a_clinical_thread(request, ann_thread, name, expected):
    user = who(request, name)
    before = snapshot()
    if expected == ALLOWED:
        assert access_thread(user, ann_thread.pk) == ann_thread
        assert AuditEvent.objects.filter(action="message.thread_view", outcome="success").exists()
        return
    error = NotFound if expected == NOT_FOUND else PermissionDenied
    with pytest.raises(error):
        access_thread(user, ann_thread.pk)
    assert snapshot() == before
    denied = AuditEvent.objects.get(action="message.thread_view", outcome="denied")
    assert denied.patient_id is None


@pytest.mark.parametrize(("name", "expected"), CLINICAL_THREAD.items())
def test_replying_to_a_clinical_thread(request, ann_thread, name, expected):
    user = who(request, name)
    before = snapshot()
    if expected == ALLOWED:
        message_send(actor=user, thread=ann_thread, body="A message.")
        return
    with pytest.raises(NotFound if expected == NOT_FOUND else PermissionDenied):
        message_send(actor=user, thread=ann_thread, body="A message.")
    assert snapshot() == before


def test_billing_reads_the_billing_threads_routed_to_its_team_only(
    admin, billing, front_desk, ann_in_concierge
):
    desk = team(admin, "Billing", Role.BILLING)
    rule(admin, Topic.BILLING, RoutingTarget.TEAM, desk)
    invoice_question = start(ann_in_concierge, "Why two charges?", topic=Topic.BILLING)
    assert access_thread(billing, invoice_question.pk) == invoice_question
    with pytest.raises(PermissionDenied):
        access_thread(front_desk, invoice_question.pk)


def test_a_patient_cannot_assign_their_own_thread(ann_thread, patient_ann):
    with pytest.raises(PermissionDenied):
        access_thread(patient_ann.user, ann_thread.pk, Capability.MESSAGE_ASSIGN)


def test_the_front_desk_inbox_holds_only_its_teams_threads(
    admin, front_desk, ann_thread, patient_bob
):
    desk = team(admin, "Front desk", Role.FRONT_DESK)
    rule(admin, Topic.SCHEDULING, RoutingTarget.TEAM, desk)
    member(admin, Plan.objects.get(code="concierge"), patient_bob)
    scheduling = start(patient_bob, "Can I move my visit?", topic=Topic.SCHEDULING)
    assert list(inbox_threads(user=front_desk, inbox=Inbox.TEAM)) == [scheduling]
    assert list(inbox_threads(user=front_desk, inbox=Inbox.UNASSIGNED)) == [scheduling]
    assert access_thread(front_desk, scheduling.pk) == scheduling
