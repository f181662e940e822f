"""Moving or cancelling one occurrence of a series, this one and the following, or all; a move
that cannot be made anywhere moves nothing."""

from datetime import time, timedelta

import pytest

from careloop.core.errors import ValidationFailed
from careloop.memberships.models import EntitlementEntry, EntryKind
from careloop.scheduling.models import Appointment, AppointmentSeries, SeriesFrequency
from careloop.scheduling.series import SeriesRule
from careloop.scheduling.services.series import series_book
from careloop.scheduling.services.series_changes import Scope, series_cancel, series_move
from careloop.scheduling.tests.builders import TUESDAY, local
from careloop.scheduling.tests.membership_builders import MEMBER_PRICE, member_clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(provider, front_desk, patient_ann):
    """Four weekly 10:00 visits from Tuesday June 2 2026 for a member (two covered in June)."""
    clinic = member_clinic(provider)
    clinic.enroll(patient_ann)
    outcome = series_book(
        actor=front_desk,
        patient=patient_ann,
        provider=provider,
        location=clinic.location,
        appointment_type=clinic.visit,
        rule=SeriesRule(
            frequency=SeriesFrequency.WEEKLY,
            start_date=TUESDAY,
            local_start_time=time(10),
            count=4,
        ),
        acknowledged_price=MEMBER_PRICE,
    )
    assert outcome.series is not None
    return clinic, outcome.series


def _times(series: AppointmentSeries) -> list[tuple[int, str, str]]:
    return [
        (visit.occurrence_index or 0, visit.start_at.strftime("%m-%d %H:%M"), visit.status)
        for visit in Appointment.objects.filter(series=series).order_by("occurrence_index")
    ]


def test_moving_this_and_the_following_keeps_their_dates_at_the_new_time(booked, front_desk):
    _, series = booked

    moved = series_move(
        actor=front_desk,
        series=series,
        scope=Scope.FOLLOWING,
        occurrence_index=2,
        local_start_time=time(14),
    )

    assert [visit.occurrence_index for visit in moved] == [2, 3]
    assert _times(series) == [
        (0, "06-02 14:00", "scheduled"),
        (1, "06-09 14:00", "scheduled"),
        (2, "06-16 18:00", "scheduled"),
        (3, "06-23 18:00", "scheduled"),
    ]
    assert EntitlementEntry.objects.filter(kind=EntryKind.HOLD).count() == 2


def test_moving_all_changes_the_series_time(booked, front_desk):
    _, series = booked

    series_move(actor=front_desk, series=series, scope=Scope.ALL, local_start_time=time(9))

    series.refresh_from_db()
    assert series.local_start_time == time(9)
    assert [start for _, start, _ in _times(series)] == [
        "06-02 13:00",
        "06-09 13:00",
        "06-16 13:00",
        "06-23 13:00",
    ]


def test_moving_one_occurrence_to_another_start(booked, front_desk):
    _, series = booked

    series_move(
        actor=front_desk,
        series=series,
        scope=Scope.ONE,
        occurrence_index=1,
        start_at=local(TUESDAY + timedelta(days=8), 15),
    )

    assert _times(series)[1] == (1, "06-10 19:00", "scheduled")
    assert _times(series)[2] == (2, "06-16 14:00", "scheduled")


def test_a_move_one_occurrence_cannot_make_moves_nothing_and_names_it(
    booked, front_desk, patient_bob
):
    clinic, series = booked
    clinic.book(
        front_desk,
        patient_bob,
        local(TUESDAY + timedelta(days=14), 15),
        acknowledged_price=15000,
    )
    before = _times(series)

    with pytest.raises(ValidationFailed) as refused:
        series_move(actor=front_desk, series=series, scope=Scope.ALL, local_start_time=time(15))
    with pytest.raises(ValidationFailed) as at_lunch:
        series_move(actor=front_desk, series=series, scope=Scope.ALL, local_start_time=time(12, 15))

    assert [(e.field, e.code) for e in refused.value.errors] == [("local_start_time", "slot_taken")]
    assert "Occurrence 2" in refused.value.errors[0].message
    assert {e.code for e in at_lunch.value.errors} == {"outside_hours"}
    assert _times(series) == before


def test_cancelling_this_and_the_following_releases_their_holds(booked, front_desk):
    _, series = booked

    cancelled = series_cancel(
        actor=front_desk, series=series, scope=Scope.FOLLOWING, occurrence_index=1
    )

    assert [visit.occurrence_index for visit in cancelled] == [1, 2, 3]
    assert [status for _, _, status in _times(series)] == [
        "scheduled",
        "cancelled",
        "cancelled",
        "cancelled",
    ]
    assert EntitlementEntry.objects.filter(kind=EntryKind.RELEASE).count() == 1


def test_cancelling_one_or_all(booked, front_desk):
    _, series = booked

    series_cancel(actor=front_desk, series=series, scope=Scope.ONE, occurrence_index=3)
    series_cancel(actor=front_desk, series=series, scope=Scope.ALL)

    assert {status for _, _, status in _times(series)} == {"cancelled"}
    with pytest.raises(ValidationFailed) as nothing_left:
        series_cancel(actor=front_desk, series=series, scope=Scope.ALL)
    assert nothing_left.value.errors[0].code == "nothing_to_change"


def test_a_scope_other_than_all_needs_the_occurrence(booked, front_desk):
    _, series = booked

    with pytest.raises(ValidationFailed) as refused:
        series_cancel(actor=front_desk, series=series, scope=Scope.FOLLOWING)

    assert refused.value.errors[0].field == "occurrence_index"
