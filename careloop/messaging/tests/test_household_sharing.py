"""A member shares a thread with the head of their household, who reads it (never writes in
it, never sees internal notes, leaves no read mark) until the member stops sharing or leaves
the household."""

import pytest

from careloop.accounts.policy import Capability
from careloop.accounts.roles import Role
from careloop.audit.models import AuditEvent
from careloop.core.errors import NotFound, PermissionDenied, ValidationFailed
from careloop.messaging.access import access_thread
from careloop.messaging.models import ThreadChange
from careloop.messaging.selectors.inbox import household_shared_threads
from careloop.messaging.selectors.threads import staff_read_up_to, thread_messages
from careloop.messaging.services.sharing import thread_share
from careloop.messaging.services.threads import message_send, note_add, thread_mark_read
from careloop.messaging.tests.messaging_builders import snapshot
from careloop.patients.models import Household
from careloop.patients.services import household_create, household_remove_member
from careloop.testing.factories import make_patient, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def bakers(front_desk, patient_bob, ann_in_concierge) -> Household:
    """Bob heads the household; Ann is a member."""
    return household_create(
        actor=front_desk, name="Baker home", head=patient_bob, members=[ann_in_concierge]
    )


def test_the_head_reads_a_shared_thread_without_its_notes(
    bakers, ann_thread, patient_bob, provider
):
    note_add(actor=provider, thread=ann_thread, body="Internal: check renal function")
    message_send(actor=provider, thread=ann_thread, body="Take it with food.")

    thread_share(actor=ann_thread.patient.user, thread=ann_thread, shared=True)

    seen = access_thread(patient_bob.user, ann_thread.pk, Capability.MESSAGE_VIEW)
    bodies = [message.body for message in thread_messages(thread=seen, viewer=patient_bob.user)]
    assert bodies == ["Is it fine to take my dose with food?", "Take it with food."]
    assert list(household_shared_threads(head=patient_bob)) == [ann_thread]


def test_an_unshared_thread_is_not_found_for_the_head(bakers, ann_thread, patient_bob):
    with pytest.raises(NotFound):
        access_thread(patient_bob.user, ann_thread.pk, Capability.MESSAGE_VIEW)
    assert list(household_shared_threads(head=patient_bob)) == []

    thread_share(actor=ann_thread.patient.user, thread=ann_thread, shared=True)
    thread_share(actor=ann_thread.patient.user, thread=ann_thread, shared=False)

    with pytest.raises(NotFound):
        access_thread(patient_bob.user, ann_thread.pk, Capability.MESSAGE_VIEW)
    assert list(household_shared_threads(head=patient_bob)) == []


def test_the_head_cannot_write_in_a_shared_thread(bakers, ann_thread, patient_bob):
    thread_share(actor=ann_thread.patient.user, thread=ann_thread, shared=True)
    before = snapshot()

    with pytest.raises(PermissionDenied, match="only Ann Avery can write in it"):
        message_send(actor=patient_bob.user, thread=ann_thread, body="Hello from Bob")

    assert snapshot() == before


def test_the_heads_reading_leaves_no_read_mark_and_no_receipt(bakers, ann_thread, patient_bob):
    thread_share(actor=ann_thread.patient.user, thread=ann_thread, shared=True)

    assert thread_mark_read(actor=patient_bob.user, thread=ann_thread) is False
    assert not ann_thread.read_states.filter(reader=patient_bob.user).exists()
    assert staff_read_up_to(ann_thread) == 0


def test_a_member_who_leaves_the_household_shares_nothing_with_its_head(
    front_desk, bakers, ann_thread, patient_bob
):
    thread_share(actor=ann_thread.patient.user, thread=ann_thread, shared=True)

    household_remove_member(actor=front_desk, household=bakers, patient=ann_thread.patient)

    with pytest.raises(NotFound):
        access_thread(patient_bob.user, ann_thread.pk, Capability.MESSAGE_VIEW)
    assert list(household_shared_threads(head=patient_bob)) == []


def test_the_head_of_another_household_reads_nothing(front_desk, bakers, ann_thread):
    cal = make_user(role=Role.PATIENT, username="cal")
    stranger = make_patient(given="Cal", family="Cole", user=cal)
    household_create(actor=front_desk, name="Cole home", head=stranger)
    thread_share(actor=ann_thread.patient.user, thread=ann_thread, shared=True)

    with pytest.raises(NotFound):
        access_thread(cal, ann_thread.pk, Capability.MESSAGE_VIEW)
    assert list(household_shared_threads(head=stranger)) == []


def test_sharing_is_recorded_in_the_history_and_the_audit_log(bakers, ann_thread):
    ann = ann_thread.patient.user

    thread_share(actor=ann, thread=ann_thread, shared=True)
    thread_share(actor=ann, thread=ann_thread, shared=False)

    changes = ThreadChange.objects.filter(thread=ann_thread, action__in=["share", "unshare"])
    assert [(change.action, change.actor, change.reason) for change in changes] == [
        ("share", ann, "Shared with Bob Baker"),
        ("unshare", ann, ""),
    ]
    assert list(
        AuditEvent.objects.filter(
            object_id=str(ann_thread.pk), action__startswith="message.thread_"
        )
        .filter(action__in=["message.thread_share", "message.thread_unshare"])
        .values_list("action", flat=True)
    ) == ["message.thread_share", "message.thread_unshare"]


def test_a_patient_outside_any_household_has_no_one_to_share_with(ann_thread):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        thread_share(actor=ann_thread.patient.user, thread=ann_thread, shared=True)
    (error,) = refused.value.errors
    assert (error.field, error.code) == ("shared_with_household", "no_household")
    assert snapshot() == before


def test_the_head_has_no_one_to_share_their_own_thread_with(front_desk, ann_thread):
    household_create(actor=front_desk, name="Avery home", head=ann_thread.patient)
    with pytest.raises(ValidationFailed) as refused:
        thread_share(actor=ann_thread.patient.user, thread=ann_thread, shared=True)
    assert refused.value.errors[0].code == "household_head"


def test_sharing_twice_is_refused_as_unchanged(bakers, ann_thread):
    thread_share(actor=ann_thread.patient.user, thread=ann_thread, shared=True)
    with pytest.raises(ValidationFailed) as refused:
        thread_share(actor=ann_thread.patient.user, thread=ann_thread, shared=True)
    assert refused.value.errors[0].code == "unchanged"


def test_only_the_threads_own_patient_decides(bakers, ann_thread, patient_bob, provider):
    before = snapshot()
    with pytest.raises(NotFound):
        thread_share(actor=patient_bob.user, thread=ann_thread, shared=True)
    with pytest.raises(PermissionDenied):
        thread_share(actor=provider, thread=ann_thread, shared=True)
    assert snapshot() == before
