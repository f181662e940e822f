"""A downgrade or a member's removal takes effect at the start of the next period; only an
admin may apply one in the middle of a period (the unused days are then credited)."""

from datetime import date

import pytest

from careloop.core.errors import PermissionDenied
from careloop.memberships.models import MemberRole
from careloop.memberships.services import lifecycle
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    make_plan,
    scheduled,
    snapshot,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(admin, front_desk):
    freeze_on(date(2026, 1, 1))
    essentials = make_plan(code="essentials", rank=1, name="Essentials")
    active_care = make_plan(code="active-care", rank=2, name="Active Care")
    head, partner, _child = family()
    membership = enroll(front_desk, active_care, head, (partner, MemberRole.ADULT))
    freeze_on(date(2026, 2, 10))
    return {"membership": membership, "essentials": essentials, "partner": partner}


def test_front_desk_may_not_downgrade_in_the_middle_of_a_period(setup, front_desk):
    before = snapshot()

    with pytest.raises(PermissionDenied) as refused:
        lifecycle.membership_downgrade(
            actor=front_desk, membership=setup["membership"], plan=setup["essentials"]
        )

    assert refused.value.code == "mid_period_reduction_not_allowed"
    assert str(refused.value) == (
        "A downgrade takes effect at the end of the period, on 2026-03-01; only an admin may "
        "apply a downgrade on 2026-02-10."
    )
    assert snapshot() == before


def test_front_desk_may_not_remove_a_member_on_a_later_day_inside_the_period(setup, front_desk):
    before = snapshot()

    with pytest.raises(PermissionDenied) as refused:
        lifecycle.membership_remove_member(
            actor=front_desk,
            membership=setup["membership"],
            patient=setup["partner"],
            effective_on=date(2026, 2, 20),
        )

    assert "only an admin may apply removing a member on 2026-02-20" in str(refused.value)
    assert snapshot() == before


def test_front_desk_schedules_a_downgrade_and_a_removal_for_the_start_of_the_next_period(
    setup, front_desk
):
    downgrade = lifecycle.membership_downgrade(
        actor=front_desk,
        membership=setup["membership"],
        plan=setup["essentials"],
        at_period_end=True,
    )
    removal = lifecycle.membership_remove_member(
        actor=front_desk,
        membership=setup["membership"],
        patient=setup["partner"],
        effective_on=date(2026, 3, 1),
    )

    assert scheduled(downgrade).effective_on == date(2026, 3, 1)
    assert scheduled(removal).effective_on == date(2026, 3, 1)


def test_an_admin_applies_a_downgrade_now_in_the_middle_of_a_period(setup, admin):
    outcome = lifecycle.membership_downgrade(
        actor=admin, membership=setup["membership"], plan=setup["essentials"]
    )

    assert outcome.applied
    assert outcome.membership.plan == setup["essentials"]
