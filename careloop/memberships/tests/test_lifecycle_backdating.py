"""Backdating a lifecycle action is admin-only and audited."""

from datetime import date

import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import PermissionDenied, ValidationFailed
from careloop.memberships.models import StatusChange
from careloop.memberships.services import lifecycle
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan, snapshot


@pytest.fixture
def membership(front_desk, patient_ann):
    freeze_on(date(2026, 1, 1))
    membership = enroll(front_desk, make_plan(code="essentials", rank=1), patient_ann)
    freeze_on(date(2026, 3, 10))
    return membership


def test_front_desk_cannot_date_a_pause_in_the_past(front_desk, membership):
    before = snapshot()
    with pytest.raises(PermissionDenied, match="only an admin may backdate"):
        lifecycle.membership_pause(
            actor=front_desk, membership=membership, effective_on=date(2026, 3, 1)
        )
    assert snapshot() == before


def test_an_admin_backdates_a_pause_and_the_audit_log_says_so(admin, membership, patient_ann):
    lifecycle.membership_pause(
        actor=admin,
        membership=membership,
        effective_on=date(2026, 3, 1),
        resumes_on=date(2026, 4, 1),
    )
    membership.refresh_from_db()
    assert (membership.status, membership.paused_on) == ("paused", date(2026, 3, 1))
    assert StatusChange.objects.filter(
        membership=membership, action="pause", effective_on=date(2026, 3, 1)
    ).exists()
    event = AuditEvent.objects.get(action="membership.backdate")
    assert (event.patient_id, event.actor_id, event.detail) == (
        patient_ann.id,
        admin.id,
        {"action": "pause", "effective_on": "2026-03-01"},
    )


def test_billing_may_not_backdate_a_past_due_mark(billing, membership):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        lifecycle.membership_mark_past_due(
            actor=billing, membership=membership, effective_on=date(2026, 3, 9)
        )
    assert snapshot() == before


def test_nobody_dates_a_change_before_the_membership_starts(admin, membership):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.membership_mark_past_due(
            actor=admin, membership=membership, effective_on=date(2025, 12, 31)
        )
    assert refused.value.errors[0].code == "before_start"
    assert snapshot() == before


def test_status_only_actions_cannot_be_scheduled(admin, membership):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.membership_mark_past_due(
            actor=admin, membership=membership, effective_on=date(2026, 4, 1)
        )
    assert refused.value.errors[0].code == "cannot_schedule"
    assert snapshot() == before
