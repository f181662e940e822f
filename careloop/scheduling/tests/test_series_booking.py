"""Booking a series: every occurrence checked first, conflicts listed with alternatives,
all booked or none."""

from datetime import date, time, timedelta

import pytest

from careloop.core.errors import ValidationFailed
from careloop.scheduling.errors import SeriesHasConflicts
from careloop.scheduling.models import Appointment, AppointmentSeries, ClinicHoliday
from careloop.scheduling.models import SeriesFrequency as F
from careloop.scheduling.series import SeriesRule
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.services.series import series_book
from careloop.scheduling.tests.builders import (
    NEW_YORK,
    TUESDAY,
    clinic_in_new_york,
    local,
    make_location,
    make_type,
    weekday_hours,
)

SIX_TUESDAYS = SeriesRule(F.WEEKLY, TUESDAY, time(10), count=6)
THIRD = TUESDAY + timedelta(weeks=2)


@pytest.fixture
def calendar(front_desk, provider, patient_bob):
    """Bob already has the third Tuesday at 10:00."""
    clinic_in_new_york()
    location = make_location()
    weekday_hours(provider, location)
    kind = make_type()
    appointment_book(
        actor=front_desk,
        patient=patient_bob,
        provider=provider,
        location=location,
        appointment_type=kind,
        start_at=local(THIRD, 10),
    )
    return location, kind


def _series(front_desk, patient, provider, calendar, rule=SIX_TUESDAYS, **options):
    location, kind = calendar
    return series_book(
        actor=front_desk,
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=kind,
        rule=rule,
        **options,
    )


def test_checking_a_series_lists_each_conflict_with_the_nearest_slots_and_books_nothing(
    front_desk, provider, patient_ann, calendar
):
    outcome = _series(front_desk, patient_ann, provider, calendar, check_only=True)

    assert [check.free for check in outcome.occurrences] == [True, True, False, True, True, True]
    (conflict,) = outcome.conflicts
    assert (conflict.index, conflict.start, conflict.problem) == (2, local(THIRD, 10), "slot_taken")
    assert conflict.alternatives == (local(THIRD, 9, 30), local(THIRD, 10, 30), local(THIRD, 9, 15))
    assert outcome.series is None
    assert Appointment.objects.count() == 1
    assert not AppointmentSeries.objects.exists()


def test_booking_a_series_with_a_conflict_books_nothing_and_says_which(
    front_desk, provider, patient_ann, calendar
):
    with pytest.raises(SeriesHasConflicts) as refused:
        _series(front_desk, patient_ann, provider, calendar)

    assert refused.value.message == "1 of 6 occurrences cannot be booked; nothing was booked."
    assert [check.index for check in refused.value.occurrences if not check.free] == [2]
    assert Appointment.objects.count() == 1
    assert not AppointmentSeries.objects.exists()


def test_moving_the_conflicting_occurrence_to_an_alternative_books_the_whole_series(
    front_desk, provider, patient_ann, calendar
):
    outcome = _series(front_desk, patient_ann, provider, calendar, moved={2: local(THIRD, 10, 30)})

    assert outcome.series is not None
    booked = list(Appointment.objects.filter(series=outcome.series).order_by("occurrence_index"))
    assert [appointment.occurrence_index for appointment in booked] == list(range(6))
    assert [a.start_at.astimezone(NEW_YORK).strftime("%m-%d %H:%M") for a in booked] == [
        "06-02 10:00",
        "06-09 10:00",
        "06-16 10:30",
        "06-23 10:00",
        "06-30 10:00",
        "07-07 10:00",
    ]


def test_an_occurrence_on_a_holiday_is_a_conflict_with_alternatives_on_the_next_days(
    front_desk, provider, patient_ann, calendar
):
    ClinicHoliday.objects.create(date=TUESDAY + timedelta(weeks=1), name="Staff day")

    outcome = _series(front_desk, patient_ann, provider, calendar, check_only=True)

    holiday = outcome.occurrences[1]
    assert holiday.problem == "outside_hours"
    assert holiday.alternatives == (
        local(date(2026, 6, 10), 9),
        local(date(2026, 6, 10), 9, 15),
        local(date(2026, 6, 10), 9, 30),
    )


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (SeriesRule(F.WEEKLY, TUESDAY, time(10)), "count"),
        (SeriesRule(F.WEEKLY, TUESDAY, time(10), until=TUESDAY - timedelta(days=1)), "until"),
        (SeriesRule(F.WEEKLY, TUESDAY, time(10), count=105), "count"),
        (SeriesRule(F.DAILY, TUESDAY, time(10), until=TUESDAY + timedelta(days=200)), "until"),
    ],
)
def test_a_series_rule_that_breaks_a_limit_is_refused_naming_the_field(
    front_desk, provider, patient_ann, calendar, rule, field
):
    with pytest.raises(ValidationFailed) as refused:
        _series(front_desk, patient_ann, provider, calendar, rule=rule)

    assert [error.field for error in refused.value.errors] == [field]
    assert Appointment.objects.count() == 1


def test_a_monthly_9am_series_across_the_autumn_change_books_9am_local_each_time(
    front_desk, provider, patient_ann
):
    clinic_in_new_york(local(date(2026, 9, 1), 8))
    location = make_location()
    weekday_hours(provider, location)
    rule = SeriesRule(
        F.MONTHLY_ON_WEEKDAY, date(2026, 10, 1), time(9), ordinal=2, weekday=1, count=3
    )

    outcome = _series(front_desk, patient_ann, provider, (location, make_type()), rule=rule)

    starts = [appointment.start_at for appointment in outcome.appointments]
    assert [start.astimezone(NEW_YORK).strftime("%Y-%m-%d %H:%M") for start in starts] == [
        "2026-10-13 09:00",
        "2026-11-10 09:00",
        "2026-12-08 09:00",
    ]
    assert [start.hour for start in starts] == [13, 14, 14]


def test_moving_an_occurrence_the_series_does_not_have_is_refused_naming_moved(
    front_desk, provider, patient_ann, calendar
):
    with pytest.raises(ValidationFailed) as refused:
        _series(front_desk, patient_ann, provider, calendar, moved={6: local(THIRD, 10, 30)})

    assert [(e.field, e.code) for e in refused.value.errors] == [("moved", "unknown_occurrence")]
    assert Appointment.objects.count() == 1
