"""Priority capacity: afternoon slots held for Concierge until 8:00 on the day, then open to
everyone; availability and booking follow the booking patient's plan and the clock."""

from datetime import date, time

import pytest

from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.memberships.models import Membership, MembershipStatus
from careloop.memberships.tests.ledger_builders import make_membership, make_plan
from careloop.scheduling.models import Appointment, PriorityCapacity
from careloop.scheduling.selectors.calendars import available_slots
from careloop.scheduling.tests.builders import MONDAY, TUESDAY, local
from careloop.scheduling.tests.membership_builders import A_LA_CARTE, member_clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(provider, patient_ann):
    """Ann is a Concierge member; Tuesday 13:00-17:00 is held for Concierge until 8:00."""
    clinic = member_clinic(provider)
    concierge = make_plan(name="Concierge")
    make_membership(plan=concierge, members=[patient_ann], start_date=date(2026, 5, 1))
    rule = PriorityCapacity.objects.create(
        name="Same-day Concierge",
        start_time=time(13),
        end_time=time(17),
        release_time=time(8),
    )
    rule.plans.add(concierge)
    return clinic


def _afternoon(clinic, patient) -> list[str]:
    slots = available_slots(
        appointment_type=clinic.visit, first_day=TUESDAY, last_day=TUESDAY, patient=patient
    )
    return [f"{slot.start:%H:%M}" for slot in slots if slot.start >= local(TUESDAY, 13)]


def test_before_the_release_only_the_held_plan_sees_and_books_the_slots(
    held, front_desk, patient_ann, patient_bob
):
    clock.freeze(local(TUESDAY, 7, 30))

    assert _afternoon(held, patient_bob) == []
    assert _afternoon(held, None) == []
    assert len(_afternoon(held, patient_ann)) == 15  # 13:00 to 16:30 every 15 minutes
    with pytest.raises(ValidationFailed) as refused:
        held.book(front_desk, patient_bob, local(TUESDAY, 14), acknowledged_price=A_LA_CARTE)
    assert [(e.field, e.code) for e in refused.value.errors] == [("start_at", "held_for_priority")]
    assert "Concierge until 2026-06-02 08:00" in refused.value.errors[0].message
    assert not Appointment.objects.exists()
    held.book(front_desk, patient_ann, local(TUESDAY, 14), acknowledged_price=A_LA_CARTE)


def test_from_the_release_time_everyone_sees_and_books_the_slots(held, front_desk, patient_bob):
    clock.freeze(local(TUESDAY, 8))

    assert len(_afternoon(held, patient_bob)) == 15
    held.book(front_desk, patient_bob, local(TUESDAY, 14), acknowledged_price=A_LA_CARTE)


def test_morning_slots_are_not_held(held, front_desk, patient_bob):
    clock.freeze(local(TUESDAY, 7))

    slots = available_slots(
        appointment_type=held.visit, first_day=TUESDAY, last_day=TUESDAY, patient=patient_bob
    )

    assert f"{slots[0].start:%H:%M}" == "13:00"  # 9:00 New York
    held.book(front_desk, patient_bob, local(TUESDAY, 9), acknowledged_price=A_LA_CARTE)


def test_a_paused_concierge_membership_does_not_reach_held_slots(held, patient_ann):
    Membership.objects.filter(plan__name="Concierge").update(status=MembershipStatus.PAUSED)
    clock.freeze(local(TUESDAY, 7))

    assert _afternoon(held, patient_ann) == []


def test_a_release_days_before_holds_until_that_earlier_day(held, patient_bob):
    PriorityCapacity.objects.update(release_days_before=1, release_time=time(17))
    clock.freeze(local(MONDAY, 16))

    assert _afternoon(held, patient_bob) == []
    clock.freeze(local(MONDAY, 17))
    assert len(_afternoon(held, patient_bob)) == 15
