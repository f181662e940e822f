"""Searching free slots for a type across providers and locations from the stored calendar."""

from datetime import time, timedelta

import pytest

from careloop.accounts.roles import Role
from careloop.core.errors import ValidationFailed
from careloop.scheduling.models import Appointment
from careloop.scheduling.selectors.calendars import available_slots
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.tests.builders import (
    MONDAY,
    NEW_YORK,
    clinic_in_new_york,
    local,
    make_location,
    make_type,
    weekday_hours,
)
from careloop.testing.factories import make_user


def _described(slots):
    return [
        (slot.provider_id, slot.location_id, slot.start.astimezone(NEW_YORK).strftime("%H:%M"))
        for slot in slots
    ]


def test_slots_span_providers_and_locations_and_skip_booked_visits(
    front_desk, provider, patient_ann
):
    clinic_in_new_york()
    midtown, uptown = make_location("Midtown"), make_location("Uptown", time_zone="America/Chicago")
    coach = make_user(role=Role.COORDINATOR)
    weekday_hours(provider, midtown, start=time(9), end=time(10), lunch=False)
    weekday_hours(coach, uptown, start=time(9), end=time(10), lunch=False)
    kind = make_type(duration_minutes=30, buffer_minutes=0)
    appointment_book(
        actor=front_desk,
        patient=patient_ann,
        provider=provider,
        location=midtown,
        appointment_type=kind,
        start_at=local(MONDAY, 9),
    )

    slots = available_slots(appointment_type=kind, first_day=MONDAY, last_day=MONDAY)

    # Uptown keeps Chicago time: its 9:00 is 10:00 in New York.
    assert _described(slots) == [
        (provider.pk, midtown.pk, "09:30"),
        (coach.pk, uptown.pk, "10:00"),
        (coach.pk, uptown.pk, "10:15"),
        (coach.pk, uptown.pk, "10:30"),
    ]
    only_coach = available_slots(
        appointment_type=kind, first_day=MONDAY, last_day=MONDAY, provider_ids=[coach.pk]
    )
    assert {slot.provider_id for slot in only_coach} == {coach.pk}


def test_a_search_whose_last_day_is_before_its_first_is_refused_naming_the_field(db):
    clinic_in_new_york()

    with pytest.raises(ValidationFailed) as refused:
        available_slots(
            appointment_type=make_type(), first_day=MONDAY, last_day=MONDAY - timedelta(days=1)
        )

    assert [(e.field, e.code) for e in refused.value.errors] == [("last_day", "before_start")]


def test_a_visit_that_began_the_day_before_still_blocks_the_morning(provider, patient_ann):
    """A 24-hour stay with a 24-hour buffer from Saturday 10:00 (the longest a visit can
    hold a provider) still holds Monday until 10:00."""
    clinic_in_new_york()
    location = make_location()
    weekday_hours(provider, location, weekdays=range(7), start=time(0), end=time(23, 45))
    stay = make_type("Overnight stay", duration_minutes=24 * 60, buffer_minutes=24 * 60)
    start = local(MONDAY, 10) - timedelta(hours=48)  # Saturday 10:00
    Appointment.objects.create(
        patient=patient_ann,
        provider=provider,
        location=location,
        appointment_type=stay,
        start_at=start,
        end_at=start + timedelta(hours=24),
        blocked_until=start + timedelta(hours=48),
        status="checked_in",
        created_at=start,
        updated_at=start,
    )

    slots = available_slots(
        appointment_type=make_type(duration_minutes=30), first_day=MONDAY, last_day=MONDAY
    )

    assert _described(slots)[0] == (provider.pk, location.pk, "10:00")


def test_a_search_after_the_hours_or_breaks_change_offers_the_new_calendar(provider):
    # Each day's windows are kept between searches; a changed calendar must never be answered
    # from what was kept for the old one.
    from careloop.scheduling.models import Break, WorkingHours

    clinic_in_new_york()
    midtown = make_location("Midtown")
    weekday_hours(provider, midtown, start=time(9), end=time(11), lunch=False)
    kind = make_type(duration_minutes=30, buffer_minutes=0)

    def starts():
        found = available_slots(appointment_type=kind, first_day=MONDAY, last_day=MONDAY)
        return [time_ for _, _, time_ in _described(found)]

    assert starts() == ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30"]

    WorkingHours.objects.filter(provider=provider, weekday=MONDAY.weekday()).update(
        end_time=time(10)
    )
    assert starts() == ["09:00", "09:15", "09:30"]

    Break.objects.create(
        provider=provider,
        location=midtown,
        weekday=MONDAY.weekday(),
        start_time=time(9, 30),
        end_time=time(9, 45),
    )
    # 9:00-9:30 holds one visit of 30 minutes; 9:45-10:00 holds none.
    assert starts() == ["09:00"]
