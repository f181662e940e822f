"""Booking one visit: what is checked, what is written, and what is refused with nothing booked."""

from datetime import timedelta

import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import ValidationFailed
from careloop.memberships.tests.lifecycle_builders import enroll, make_plan
from careloop.scheduling.errors import SlotTaken
from careloop.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentStatusChange,
    ClinicHoliday,
    TimeOff,
)
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.services.status import appointment_cancel
from careloop.scheduling.tests.builders import (
    MONDAY,
    TUESDAY,
    clinic_in_new_york,
    local,
    make_location,
    make_type,
    weekday_hours,
)


@pytest.fixture
def midtown(provider):
    clinic_in_new_york()
    location = make_location()
    weekday_hours(provider, location)
    return location


def _book(front_desk, patient, provider, location, kind, start, **extra):
    return appointment_book(
        actor=front_desk,
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=kind,
        start_at=start,
        **extra,
    )


def _refused_fields(call) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as refused:
        call()
    assert not Appointment.objects.exists()
    return [(error.field, error.code) for error in refused.value.errors]


def test_booking_writes_the_visit_its_history_and_an_audit_row(
    front_desk, provider, patient_ann, midtown
):
    kind = make_type(buffer_minutes=10)

    appointment = _book(front_desk, patient_ann, provider, midtown, kind, local(MONDAY, 10))

    assert (appointment.start_at, appointment.end_at, appointment.blocked_until) == (
        local(MONDAY, 10),
        local(MONDAY, 10, 30),
        local(MONDAY, 10, 40),
    )
    assert appointment.status == AppointmentStatus.SCHEDULED
    (change,) = AppointmentStatusChange.objects.filter(appointment=appointment)
    assert (change.action, change.from_status, change.to_status) == ("book", "", "scheduled")
    event = AuditEvent.objects.get(action="appointment.book")
    assert (event.patient_id, event.object_id, event.actor_id) == (
        patient_ann.pk,
        str(appointment.pk),
        front_desk.pk,
    )


def test_a_start_in_the_past_is_refused(front_desk, provider, patient_ann, midtown):
    clinic_in_new_york(local(MONDAY, 11))

    fields = _refused_fields(
        lambda: _book(front_desk, patient_ann, provider, midtown, make_type(), local(MONDAY, 10))
    )

    assert fields == [("start_at", "in_the_past")]


def test_a_start_inside_the_lead_time_is_refused(front_desk, provider, patient_ann, midtown):
    kind = make_type(lead_time_minutes=24 * 60)

    fields = _refused_fields(
        lambda: _book(front_desk, patient_ann, provider, midtown, kind, local(MONDAY, 10))
    )

    assert fields == [("start_at", "inside_lead_time")]
    assert _book(front_desk, patient_ann, provider, midtown, kind, local(TUESDAY, 10))


@pytest.mark.parametrize(
    ("hour", "minute", "code"),
    [
        (8, 0, "outside_hours"),
        (12, 15, "outside_hours"),
        (17, 0, "outside_hours"),
        (11, 45, "duration_does_not_fit"),
        (16, 45, "duration_does_not_fit"),
    ],
)
def test_a_visit_outside_the_hours_or_that_does_not_fit_is_refused(
    front_desk, provider, patient_ann, midtown, hour, minute, code
):
    kind = make_type()

    fields = _refused_fields(
        lambda: _book(front_desk, patient_ann, provider, midtown, kind, local(MONDAY, hour, minute))
    )

    assert fields == [("start_at", code)]


def test_a_visit_on_a_holiday_or_in_time_off_is_refused(front_desk, provider, patient_ann, midtown):
    ClinicHoliday.objects.create(date=TUESDAY, name="Clinic training day")
    TimeOff.objects.create(
        provider=provider, start_at=local(MONDAY, 14), end_at=local(MONDAY, 16), reason="Course"
    )
    kind = make_type()

    holiday = _refused_fields(
        lambda: _book(front_desk, patient_ann, provider, midtown, kind, local(TUESDAY, 10))
    )
    away = _refused_fields(
        lambda: _book(front_desk, patient_ann, provider, midtown, kind, local(MONDAY, 15))
    )

    assert holiday == [("start_at", "outside_hours")]
    assert away == [("start_at", "time_off")]


def test_a_provider_without_hours_at_that_location_cannot_be_booked_there(
    front_desk, provider, patient_ann, midtown
):
    uptown = make_location("Uptown")

    fields = _refused_fields(
        lambda: _book(front_desk, patient_ann, provider, uptown, make_type(), local(MONDAY, 10))
    )

    assert fields == [("start_at", "outside_hours")]


def test_only_providers_and_coaches_can_be_booked(front_desk, provider, patient_ann, midtown):
    fields = _refused_fields(
        lambda: _book(front_desk, patient_ann, front_desk, midtown, make_type(), local(MONDAY, 10))
    )

    assert fields == [("provider", "invalid")]


def test_a_type_for_chosen_plans_is_refused_to_other_patients(
    admin, front_desk, provider, patient_ann, patient_bob, midtown
):
    concierge = make_plan(code="concierge", rank=3)
    enroll(admin, concierge, patient_ann, start=MONDAY - timedelta(days=10))
    kind = make_type("Concierge house call")
    kind.plans_allowed.add(concierge)

    fields = _refused_fields(
        lambda: _book(front_desk, patient_bob, provider, midtown, kind, local(MONDAY, 10))
    )
    booked = _book(front_desk, patient_ann, provider, midtown, kind, local(MONDAY, 10))

    assert fields == [("appointment_type", "not_allowed_for_plan")]
    assert booked.membership is not None
    assert booked.membership.plan == concierge


def test_a_taken_slot_is_refused_with_a_clear_error(
    front_desk, provider, patient_ann, patient_bob, midtown
):
    kind = make_type(buffer_minutes=15)
    _book(front_desk, patient_ann, provider, midtown, kind, local(MONDAY, 10))

    with pytest.raises(SlotTaken) as overlapping:
        _book(front_desk, patient_bob, provider, midtown, kind, local(MONDAY, 10, 15))
    with pytest.raises(SlotTaken):
        # Starts when the first visit ends, but inside its buffer.
        _book(front_desk, patient_bob, provider, midtown, kind, local(MONDAY, 10, 30))
    with pytest.raises(SlotTaken):
        # Its own buffer would run into the first visit.
        _book(front_desk, patient_bob, provider, midtown, kind, local(MONDAY, 9, 30))

    assert overlapping.value.code == "slot_taken"
    assert "already has a visit at 2026-06-01 10:15" in overlapping.value.message
    assert Appointment.objects.count() == 1
    assert _book(front_desk, patient_bob, provider, midtown, kind, local(MONDAY, 10, 45))


def test_a_cancelled_visit_frees_its_slot(front_desk, provider, patient_ann, patient_bob, midtown):
    kind = make_type()
    first = _book(front_desk, patient_ann, provider, midtown, kind, local(MONDAY, 10))
    appointment_cancel(actor=front_desk, appointment=first)

    second = _book(front_desk, patient_bob, provider, midtown, kind, local(MONDAY, 10))

    assert second.start_at == first.start_at


def test_a_provider_busy_at_another_location_cannot_be_booked_at_the_same_time(
    front_desk, provider, patient_ann, patient_bob, midtown
):
    uptown = make_location("Uptown")
    weekday_hours(provider, uptown)
    kind = make_type()
    _book(front_desk, patient_ann, provider, midtown, kind, local(MONDAY, 10))

    with pytest.raises(SlotTaken):
        _book(front_desk, patient_bob, provider, uptown, kind, local(MONDAY, 10))
