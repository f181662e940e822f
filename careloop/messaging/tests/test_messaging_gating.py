"""Who may write: the plan must include messaging and the membership's status allow it.

A refusal says why and what to do instead, names a higher tier that includes messaging when
there is one, and stores nothing.
"""

import pytest

from careloop.memberships.models import Membership, MembershipStatus
from careloop.messaging.errors import MessagingNotAllowed
from careloop.messaging.models import LapsedMembershipMessaging, MessagingSettings
from careloop.messaging.selectors.eligibility import EligibilityOutcome, messaging_eligibility
from careloop.messaging.services.threads import message_send
from careloop.messaging.tests.messaging_builders import (
    concierge,
    essentials,
    member,
    snapshot,
    start,
)


def set_status(membership: Membership, status: MembershipStatus) -> None:
    Membership.objects.filter(pk=membership.pk).update(status=status)


def refused(patient) -> MessagingNotAllowed:
    before = snapshot()
    with pytest.raises(MessagingNotAllowed) as refusal:
        start(patient)
    assert snapshot() == before
    return refusal.value


def test_an_active_concierge_member_may_write_with_a_four_hour_target(admin, patient_ann, clinical):
    member(admin, concierge(), patient_ann)
    answer = messaging_eligibility(patient=patient_ann)
    assert answer.allowed
    assert answer.target_business_hours == 4
    assert answer.warning == ""


def test_a_plan_without_messaging_is_refused_and_the_higher_tier_offered(
    admin, patient_ann, clinical
):
    higher = concierge()
    member(admin, essentials(), patient_ann)
    refusal = refused(patient_ann)
    answer = refusal.eligibility
    assert refusal.code == EligibilityOutcome.PLAN_WITHOUT_MESSAGING
    assert answer.reason == "Your Essentials plan does not include secure messaging."
    assert answer.higher_tier == higher
    assert "call Careloop Clinic" in answer.instead
    assert "Concierge plan includes secure messaging" in answer.instead


def test_a_patient_without_a_membership_is_told_to_call_or_join(patient_ann, clinical):
    concierge()
    answer = refused(patient_ann).eligibility
    assert answer.outcome == EligibilityOutcome.NO_MEMBERSHIP
    assert answer.higher_tier is not None


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (MembershipStatus.PAUSED, EligibilityOutcome.MEMBERSHIP_PAUSED),
        (MembershipStatus.CANCELLED, EligibilityOutcome.MEMBERSHIP_ENDED),
        (MembershipStatus.ENDED, EligibilityOutcome.MEMBERSHIP_ENDED),
        (MembershipStatus.PENDING, EligibilityOutcome.MEMBERSHIP_PENDING),
    ],
)
def test_a_membership_that_does_not_cover_now_cannot_write(
    admin, patient_ann, clinical, status, outcome
):
    membership = member(admin, concierge(), patient_ann)
    set_status(membership, status)
    answer = refused(patient_ann).eligibility
    assert answer.outcome == outcome
    assert answer.instead
    # Messaging is in their own plan: no upgrade is offered for a paused or lapsed membership.
    assert answer.higher_tier is None


def test_past_due_may_write_with_a_warning_by_default(admin, patient_ann, clinical):
    membership = member(admin, concierge(), patient_ann)
    set_status(membership, MembershipStatus.PAST_DUE)
    thread = start(patient_ann)
    assert thread.pk is not None
    answer = messaging_eligibility(patient=patient_ann)
    assert answer.allowed
    assert "past due" in answer.warning


def test_past_due_is_refused_when_the_clinic_blocks_it(admin, patient_ann, clinical):
    MessagingSettings.objects.create(past_due_messaging=LapsedMembershipMessaging.BLOCK)
    membership = member(admin, concierge(), patient_ann)
    set_status(membership, MembershipStatus.PAST_DUE)
    answer = refused(patient_ann).eligibility
    assert answer.outcome == EligibilityOutcome.MEMBERSHIP_PAST_DUE
    assert "Update your card" in answer.instead


def test_a_membership_paused_after_the_thread_started_stops_further_messages(
    admin, patient_ann, clinical
):
    membership = member(admin, concierge(), patient_ann)
    thread = start(patient_ann)
    set_status(membership, MembershipStatus.PAUSED)
    before = snapshot()
    with pytest.raises(MessagingNotAllowed):
        message_send(actor=patient_ann.user, thread=thread, body="One more thing.")
    assert snapshot() == before
