"""Eight processes book the same slot: exactly one succeeds.

Each contender is a separate process (booking_race.py) with its own connection and a patient
of its own; all connect first and then start together. The races run on SQLite (writers queue
for the database's write lock) and on PostgreSQL (row locks, and the exclusion constraint
behind them). The constraint itself is tested on PostgreSQL only: it refuses an overlap the
service's own check did not see.
"""

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from careloop.scheduling.errors import SlotTaken
from careloop.scheduling.models import Appointment, AppointmentStatus
from careloop.scheduling.services import booking
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.tests.builders import (
    MONDAY,
    clinic_in_new_york,
    local,
    make_location,
    make_type,
    weekday_hours,
)
from careloop.testing.factories import make_patient
from careloop.testing.processes import careloop_environment

CONTENDERS = 8
NOW = local(MONDAY, 8)


@pytest.fixture
def slot(provider):
    clinic_in_new_york(NOW)
    location = make_location()
    weekday_hours(provider, location, lunch=False)
    return location, make_type(duration_minutes=60)


def _race(provider, location, kind, starts):
    environment = careloop_environment(CARELOOP_CLOCK_AT=NOW.isoformat())
    contenders = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "careloop.scheduling.tests.booking_race",
                str(make_patient(given="Racer", family=f"Number{number}").pk),
                str(provider.pk),
                str(location.pk),
                str(kind.pk),
                start.isoformat(),
            ],
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number, start in enumerate(starts)
    ]
    try:
        for contender in contenders:
            assert contender.stdout is not None
            assert contender.stderr is not None
            assert contender.stdout.readline().strip() == "ready", contender.stderr.read()
        for contender in contenders:
            assert contender.stdin is not None
            contender.stdin.write("go\n")
            contender.stdin.flush()
        outcomes = []
        for contender in contenders:
            output, errors = contender.communicate(timeout=60)
            assert contender.returncode == 0, errors
            outcomes.append(json.loads(output))
        return outcomes
    finally:
        for contender in contenders:
            if contender.poll() is None:
                contender.kill()


@pytest.mark.django_db(transaction=True)
def test_eight_processes_booking_the_same_slot_book_it_once(provider, slot):
    location, kind = slot

    outcomes = _race(provider, location, kind, [local(MONDAY, 10)] * CONTENDERS)

    assert sorted(outcome["outcome"] for outcome in outcomes) == ["booked"] + ["slot_taken"] * 7
    (booked,) = Appointment.objects.all()
    assert booked.start_at == local(MONDAY, 10)


@pytest.mark.django_db(transaction=True)
def test_eight_processes_booking_overlapping_slots_book_one(provider, slot):
    location, kind = slot
    starts = [local(MONDAY, 10) + timedelta(minutes=5 * n) for n in range(CONTENDERS)]

    outcomes = _race(provider, location, kind, starts)

    assert sorted(outcome["outcome"] for outcome in outcomes) == ["booked"] + ["slot_taken"] * 7
    assert Appointment.objects.count() == 1


def _row(provider, location, kind, patient, start, status=AppointmentStatus.SCHEDULED):
    return Appointment.objects.create(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=kind,
        start_at=start,
        end_at=start + timedelta(hours=1),
        blocked_until=start + timedelta(hours=1),
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.postgres
def test_the_database_refuses_an_overlap_written_around_the_service(
    provider, patient_ann, patient_bob, slot
):
    location, kind = slot
    _row(provider, location, kind, patient_ann, local(MONDAY, 10))
    _row(provider, location, kind, patient_bob, local(MONDAY, 11))  # touching is not overlapping
    _row(provider, location, kind, patient_bob, local(MONDAY, 10), AppointmentStatus.CANCELLED)

    with (
        pytest.raises(IntegrityError, match="appointment_provider_no_overlap"),
        transaction.atomic(),
    ):
        _row(provider, location, kind, patient_bob, local(MONDAY, 10, 30))


@pytest.mark.postgres
def test_an_overlap_the_check_missed_is_still_reported_as_a_taken_slot(
    provider, patient_ann, patient_bob, slot, monkeypatch
):
    location, kind = slot
    _row(provider, location, kind, patient_ann, local(MONDAY, 10))
    monkeypatch.setattr(booking, "calendar_problem", lambda request: None)

    with pytest.raises(SlotTaken):
        appointment_book(
            actor=None,
            patient=patient_bob,
            provider=provider,
            location=location,
            appointment_type=kind,
            start_at=local(MONDAY, 10, 30),
        )

    assert Appointment.objects.count() == 1
