"""access_membership: staff by capability, patients only their own, every attempt audited."""

from datetime import date

import pytest

from careloop.accounts.policy import Capability
from careloop.audit.models import AuditEvent
from careloop.core.errors import NotFound, PermissionDenied
from careloop.memberships.access import access_membership
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan


@pytest.fixture
def anns_membership(front_desk, patient_ann):
    freeze_on(date(2026, 1, 1))
    return enroll(front_desk, make_plan(code="essentials", rank=1), patient_ann)


def test_staff_read_a_membership_and_each_member_gets_an_audit_event(
    provider, anns_membership, patient_ann
):
    assert access_membership(provider, anns_membership.pk) == anns_membership
    event = AuditEvent.objects.filter(action="membership.view").get()
    assert (event.patient_id, event.outcome) == (patient_ann.id, "success")


def test_a_role_without_the_capability_is_refused_and_audited(provider, anns_membership):
    with pytest.raises(PermissionDenied):
        access_membership(provider, anns_membership.pk, Capability.MEMBERSHIP_CHANGE)
    assert AuditEvent.objects.filter(action="membership.view", outcome="denied").count() == 1


def test_a_patient_sees_their_own_membership(patient_ann, anns_membership):
    assert access_membership(patient_ann.user, anns_membership.pk) == anns_membership


def test_another_patient_gets_not_found(patient_bob, anns_membership):
    with pytest.raises(NotFound):
        access_membership(patient_bob.user, anns_membership.pk)
    assert AuditEvent.objects.filter(action="membership.view", outcome="denied").count() == 1


def test_a_patient_cannot_change_their_membership_here(patient_ann, anns_membership):
    with pytest.raises(PermissionDenied):
        access_membership(patient_ann.user, anns_membership.pk, Capability.MEMBERSHIP_CHANGE)


def test_an_unknown_membership_is_not_found(admin, db):
    with pytest.raises(NotFound):
        access_membership(admin, 424242)
