"""What the search reads from the stored calendar, in four queries: holidays of every kind in
one read, each location's zone (its own or the clinic's) beside the hours, and only the
visits that can clash, bounded by the searched days in each location's own zone and by the
type's buffer."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from careloop.core import clock
from careloop.core.models import ClinicSettings, Holiday
from careloop.scheduling.models import Appointment, ClinicHoliday, TimeOff
from careloop.scheduling.selectors.calendars import available_slots
from careloop.scheduling.tests.builders import (
    MONDAY,
    NEW_YORK,
    TUESDAY,
    clinic_in_new_york,
    local,
    make_location,
    make_type,
    weekday_hours,
)

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
WEDNESDAY = date(2026, 6, 3)


def _hold(provider, patient, location, kind, start: datetime, minutes: int = 30) -> None:
    Appointment.objects.create(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=kind,
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        blocked_until=start + timedelta(minutes=minutes),
        status="scheduled",
        created_at=start,
        updated_at=start,
    )


def test_a_location_holiday_closes_that_location_and_clinic_wide_ones_close_every_location(
    provider,
):
    clinic_in_new_york()
    midtown, uptown = make_location("Midtown"), make_location("Uptown")
    weekday_hours(provider, midtown, start=time(9), end=time(10), lunch=False, weekdays=range(3))
    weekday_hours(provider, uptown, start=time(11), end=time(12), lunch=False, weekdays=range(3))
    ClinicHoliday.objects.create(date=MONDAY, name="Inventory", location=midtown)
    ClinicHoliday.objects.create(date=TUESDAY, name="Training day")
    Holiday.objects.create(date=WEDNESDAY, name="Founders' day")
    kind = make_type()

    slots = available_slots(appointment_type=kind, first_day=MONDAY, last_day=WEDNESDAY)

    assert {(slot.location_id, slot.start.astimezone(NEW_YORK).date()) for slot in slots} == {
        (uptown.pk, MONDAY)
    }


def test_a_visit_just_after_midnight_still_takes_the_last_evening_slot_through_the_buffer(
    provider, patient_ann
):
    clinic_in_new_york()
    midtown = make_location()
    weekday_hours(
        provider, midtown, start=time(21), end=time(23, 45), lunch=False, weekdays=range(1)
    )
    kind = make_type(duration_minutes=30, buffer_minutes=30)
    # Tuesday 0:10, a day the provider does not work at all.
    _hold(provider, patient_ann, midtown, kind, local(TUESDAY, 0, 10))

    slots = available_slots(appointment_type=kind, first_day=MONDAY, last_day=MONDAY)

    # 23:15 would end at 23:45 and its buffer at 0:15, into Tuesday's visit.
    assert slots[-1].start.astimezone(NEW_YORK).strftime("%H:%M") == "23:00"


def test_a_location_west_of_the_clinic_sees_the_visits_of_its_own_late_evening(
    provider, patient_ann
):
    clinic_in_new_york()
    pacific = make_location("Pacific", time_zone="America/Los_Angeles")
    weekday_hours(
        provider, pacific, start=time(21), end=time(23, 45), lunch=False, weekdays=range(1)
    )
    kind = make_type(duration_minutes=30, buffer_minutes=0)
    # Monday 23:00 in Los Angeles is already Tuesday 2:00 in the clinic's New York.
    evening = datetime.combine(MONDAY, time(23), tzinfo=LOS_ANGELES).astimezone(UTC)
    _hold(provider, patient_ann, pacific, kind, evening)

    slots = available_slots(appointment_type=kind, first_day=MONDAY, last_day=MONDAY)

    starts = [slot.start.astimezone(LOS_ANGELES).strftime("%H:%M") for slot in slots]
    assert starts[-2:] == ["22:15", "22:30"]


@pytest.mark.parametrize(
    ("clinic_zone", "zone"),
    [("America/New_York", NEW_YORK), (None, ZoneInfo("America/Chicago"))],
    ids=["the clinic's", "the default before any settings are saved"],
)
def test_a_location_without_its_own_zone_follows_the_clinics(provider, clinic_zone, zone):
    if clinic_zone:
        ClinicSettings.objects.create(time_zone=clinic_zone)
    clock.freeze(local(MONDAY, 6))
    midtown = make_location()
    weekday_hours(provider, midtown, start=time(9), end=time(10), lunch=False, weekdays=range(1))
    kind = make_type(duration_minutes=30)

    slots = available_slots(appointment_type=kind, first_day=MONDAY, last_day=MONDAY)

    assert [slot.start for slot in slots] == [
        datetime.combine(MONDAY, time(9, minute), tzinfo=zone) for minute in (0, 15, 30)
    ]


def test_a_search_reads_the_stored_calendar_in_four_queries(
    provider, patient_ann, django_assert_num_queries
):
    clinic_in_new_york()
    midtown = make_location()
    weekday_hours(provider, midtown)
    kind = make_type()
    _hold(provider, patient_ann, midtown, kind, local(MONDAY, 9))
    TimeOff.objects.create(provider=provider, start_at=local(TUESDAY, 9), end_at=local(TUESDAY, 11))
    ClinicHoliday.objects.create(date=WEDNESDAY, name="Training day")

    # Hours, breaks and zones; holidays; visits and time off; priority capacity rules.
    with django_assert_num_queries(4):
        slots = available_slots(appointment_type=kind, first_day=MONDAY, last_day=WEDNESDAY)

    assert {slot.start.astimezone(NEW_YORK).date() for slot in slots} == {MONDAY, TUESDAY}
    assert local(MONDAY, 9) not in {slot.start for slot in slots}
    assert local(TUESDAY, 9) not in {slot.start for slot in slots}
