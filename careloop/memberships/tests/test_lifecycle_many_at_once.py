"""Many memberships marked past due at once record what one at a time records.

A billing batch's failed charges move their memberships to past due together
(`memberships_transition_many`); each must get the status, history row and audit events that
`membership_mark_past_due` gives it, and a refused transition must change none of them.
"""

from datetime import date
from typing import Any

import pytest
from django.db import transaction

from careloop.audit.models import AuditEvent
from careloop.audit.verify import audit_verify
from careloop.core.errors import ValidationFailed
from careloop.memberships.errors import IllegalTransition
from careloop.memberships.lifecycle import Action
from careloop.memberships.models import MemberRole, Membership, StatusChange
from careloop.memberships.services import lifecycle
from careloop.memberships.services.lifecycle_batch import (
    memberships_lock,
    memberships_transition_many,
)
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    make_plan,
    make_reason,
    snapshot,
)
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def memberships(admin: Any) -> list[Membership]:
    """Ann alone, and a household of three from which the partner left."""
    freeze_on(date(2026, 1, 1))
    plan = make_plan(code="essentials", rank=1)
    ann = enroll(admin, plan, make_patient(given="Ann"))
    head, partner, child = family()
    household = enroll(admin, plan, head, (partner, MemberRole.ADULT), (child, MemberRole.CHILD))
    freeze_on(date(2026, 1, 20))
    lifecycle.membership_remove_member(actor=admin, membership=household, patient=partner)
    freeze_on(date(2026, 2, 1))
    return [ann, household]


def _recorded(memberships: list[Membership]) -> dict[str, Any]:
    ids = [membership.pk for membership in memberships]
    return {
        "statuses": list(
            Membership.objects.filter(pk__in=ids).order_by("id").values_list("id", "status")
        ),
        "history": list(
            StatusChange.objects.filter(membership_id__in=ids, action="mark_past_due")
            .order_by("membership_id")
            .values_list(
                "membership_id", "from_status", "to_status", "effective_on", "recorded_at", "actor"
            )
        ),
        "audit": sorted(
            AuditEvent.objects.filter(action="membership.mark_past_due").values_list(
                "patient_id", "object_type", "object_id", "detail", "actor_id"
            ),
            key=str,
        ),
    }


def test_marking_many_past_due_records_what_marking_each_records(memberships):
    before = transaction.savepoint()
    for membership in memberships:
        lifecycle.membership_mark_past_due(actor=None, membership=membership)
    one_at_a_time = _recorded(memberships)
    transaction.savepoint_rollback(before)

    locked = memberships_lock([membership.pk for membership in reversed(memberships)])
    memberships_transition_many(actor=None, memberships=locked, action=Action.MARK_PAST_DUE)

    together = _recorded(memberships)
    assert together == one_at_a_time
    assert [status for _, status in together["statuses"]] == ["past_due", "past_due"]
    # Ann, and the household's head and child (the partner left): three audit events.
    assert len(together["audit"]) == 3
    assert audit_verify().intact


def test_one_membership_that_may_not_become_past_due_refuses_them_all(admin, memberships):
    ann, household = memberships
    lifecycle.membership_cancel(actor=admin, membership=household, reason=make_reason())
    before = snapshot()

    with pytest.raises(IllegalTransition):
        memberships_transition_many(
            actor=None,
            memberships=memberships_lock([ann.pk, household.pk]),
            action=Action.MARK_PAST_DUE,
        )

    assert snapshot() == before


def test_a_day_before_the_last_recorded_change_is_refused(memberships):
    _, household = memberships
    freeze_on(date(2026, 1, 10))  # the partner left on January 20

    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        memberships_transition_many(
            actor=None, memberships=memberships_lock([household.pk]), action=Action.MARK_PAST_DUE
        )
    assert [error.code for error in refused.value.errors] == ["before_last_change"]
    assert snapshot() == before
