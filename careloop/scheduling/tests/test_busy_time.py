"""What a search reads as a provider's busy time: the visits that hold time, joined where they
overlap or touch (by the database on PostgreSQL, in Python on SQLite, the same answer), and
time off apart from them."""

import random
from datetime import datetime, timedelta

import pytest

from careloop.accounts.roles import Role
from careloop.scheduling.availability import Span, joined, micros
from careloop.scheduling.models import Appointment, AppointmentType, Location, TimeOff
from careloop.scheduling.selectors.busy import busy_time
from careloop.scheduling.tests.builders import MONDAY, TUESDAY, local, make_location, make_type
from careloop.testing.factories import make_user

pytestmark = pytest.mark.django_db

OPENS = local(MONDAY, 0)
CLOSES = local(TUESDAY, 0)


@pytest.fixture(autouse=True)
def _place() -> None:
    make_location()
    make_type()


def _visit(
    provider, patient, start: datetime, minutes: int = 30, buffer: int = 0, status="scheduled"
) -> Appointment:
    end = start + timedelta(minutes=minutes)
    return Appointment.objects.create(
        patient=patient,
        provider=provider,
        location=Location.objects.get(),
        appointment_type=AppointmentType.objects.get(),
        status=status,
        start_at=start,
        end_at=end,
        blocked_until=end + timedelta(minutes=buffer),
        created_at=start,
        updated_at=start,
    )


def _span(start: datetime, end: datetime) -> tuple[int, int]:
    return micros(start), micros(end)


def _read(provider_ids, **options):
    return busy_time(
        provider_ids=provider_ids, opens=OPENS, closes=CLOSES, buffer=timedelta(0), **options
    )


def test_visits_that_touch_or_overlap_through_a_buffer_are_joined_and_a_gap_keeps_them_apart(
    provider, patient_ann
):
    _visit(provider, patient_ann, local(MONDAY, 9, 30))  # touches the one before it
    _visit(provider, patient_ann, local(MONDAY, 9))
    _visit(provider, patient_ann, local(MONDAY, 10, 15), buffer=15)  # held until 11:00
    _visit(provider, patient_ann, local(MONDAY, 10, 50))  # starts inside that buffer
    _visit(provider, patient_ann, local(MONDAY, 13), buffer=90)  # held until 15:00
    _visit(provider, patient_ann, local(MONDAY, 14), minutes=15)  # inside that buffer
    _visit(provider, patient_ann, local(MONDAY, 15, 0))  # touches the end of the buffer
    _visit(provider, patient_ann, local(MONDAY, 16))  # after a gap

    read = _read([provider.pk])

    assert read.visits == {
        provider.pk: (
            _span(local(MONDAY, 9), local(MONDAY, 10)),
            _span(local(MONDAY, 10, 15), local(MONDAY, 11, 20)),
            _span(local(MONDAY, 13), local(MONDAY, 15, 30)),
            _span(local(MONDAY, 16), local(MONDAY, 16, 30)),
        )
    }
    assert read.time_off == {}


def test_a_cancelled_visit_neither_counts_nor_joins_the_visits_either_side(provider, patient_ann):
    _visit(provider, patient_ann, local(MONDAY, 9))
    _visit(provider, patient_ann, local(MONDAY, 9, 30), status="cancelled")
    _visit(provider, patient_ann, local(MONDAY, 10))

    assert _read([provider.pk]).visits == {
        provider.pk: (
            _span(local(MONDAY, 9), local(MONDAY, 9, 30)),
            _span(local(MONDAY, 10), local(MONDAY, 10, 30)),
        )
    }


def test_an_ignored_visit_is_left_out_before_joining(provider, patient_ann):
    _visit(provider, patient_ann, local(MONDAY, 9))
    moving = _visit(provider, patient_ann, local(MONDAY, 9, 30))
    _visit(provider, patient_ann, local(MONDAY, 10))

    read = _read([provider.pk], ignore_appointment_ids=[moving.pk])

    assert read.visits == {
        provider.pk: (
            _span(local(MONDAY, 9), local(MONDAY, 9, 30)),
            _span(local(MONDAY, 10), local(MONDAY, 10, 30)),
        )
    }


def test_each_provider_keeps_their_own_visits_and_time_off_stays_apart_from_them(
    provider, patient_ann
):
    colleague = make_user(role=Role.PROVIDER)
    _visit(provider, patient_ann, local(MONDAY, 9))
    _visit(colleague, patient_ann, local(MONDAY, 9, 30))  # touches, but another provider's
    TimeOff.objects.create(
        provider=provider, start_at=local(MONDAY, 9, 30), end_at=local(MONDAY, 11)
    )

    read = _read([provider.pk, colleague.pk])

    assert read.visits == {
        provider.pk: (_span(local(MONDAY, 9), local(MONDAY, 9, 30)),),
        colleague.pk: (_span(local(MONDAY, 9, 30), local(MONDAY, 10)),),
    }
    assert read.time_off == {provider.pk: (Span(local(MONDAY, 9, 30), local(MONDAY, 11)),)}


def test_random_stored_visits_read_as_the_plain_join_of_those_holding_time(provider, patient_ann):
    rng = random.Random(6)
    stored = []
    start = local(MONDAY, 0, 5)
    while start < local(MONDAY, 22):
        minutes, buffer = rng.choice([10, 15, 30, 45]), rng.choice([0, 0, 5, 20, 60])
        status = rng.choice(["scheduled", "confirmed", "completed", "no_show", "cancelled"])
        visit = _visit(provider, patient_ann, start, minutes, buffer, status)
        stored.append(visit)
        # The next visit starts after this one's end (never overlapping visits), sometimes
        # right at it, sometimes inside its buffer, sometimes after a gap.
        start = visit.end_at + timedelta(minutes=rng.choice([0, 0, 5, 10, 25, 40]))

    read = _read([provider.pk])

    expected = joined(
        _span(visit.start_at, visit.blocked_until)
        for visit in stored
        if visit.status != "cancelled"
    )
    assert read.visits == {provider.pk: expected}
    assert len(expected) < len([visit for visit in stored if visit.status != "cancelled"])
