"""Admins set the calendar: every field checked first, a clear error naming it, nothing changed."""

from datetime import date, datetime, time

import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import PermissionDenied, ValidationFailed
from careloop.core.models import Holiday
from careloop.scheduling.models import (
    AppointmentType,
    Break,
    ClinicHoliday,
    Location,
    TimeOff,
    WorkingHours,
)
from careloop.scheduling.selectors.calendars import available_slots
from careloop.scheduling.services.calendar import (
    appointment_type_create,
    break_add,
    clinic_holiday_add,
    location_create,
    time_off_add,
    working_hours_add,
)
from careloop.scheduling.tests.builders import MONDAY, clinic_in_new_york, local, make_type

MONDAY_WEEKDAY = 0


def _fields(call) -> list[tuple[str, str]]:
    audit_before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        call()
    assert AuditEvent.objects.count() == audit_before
    return [(error.field, error.code) for error in refused.value.errors]


@pytest.fixture
def midtown(admin):
    clinic_in_new_york()
    return location_create(actor=admin, name="Midtown", address="1 Example Plaza")


def test_an_admin_sets_hours_and_a_break_and_they_shape_the_slots(admin, provider, midtown):
    working_hours_add(
        actor=admin,
        provider=provider,
        location=midtown,
        weekday=MONDAY_WEEKDAY,
        start_time=time(9),
        end_time=time(11),
    )
    break_add(
        actor=admin,
        provider=provider,
        location=midtown,
        weekday=MONDAY_WEEKDAY,
        start_time=time(10),
        end_time=time(10, 30),
    )
    kind = appointment_type_create(actor=admin, name="Check-in", duration_minutes=30)

    slots = available_slots(appointment_type=kind, first_day=MONDAY, last_day=MONDAY)

    assert [slot.start for slot in slots] == [
        local(MONDAY, 9),
        local(MONDAY, 9, 15),
        local(MONDAY, 9, 30),
        local(MONDAY, 10, 30),
    ]
    assert set(
        AuditEvent.objects.filter(action__startswith="scheduling.").values_list("action", flat=True)
    ) == {
        "scheduling.location_create",
        "scheduling.working_hours_add",
        "scheduling.break_add",
        "scheduling.appointment_type_create",
    }


def test_hours_that_end_before_they_start_or_validity_reversed_are_refused(
    admin, provider, midtown
):
    fields = _fields(
        lambda: working_hours_add(
            actor=admin,
            provider=provider,
            location=midtown,
            weekday=7,
            start_time=time(12),
            end_time=time(9),
            valid_from=date(2026, 6, 1),
            valid_until=date(2026, 5, 1),
        )
    )

    assert fields == [
        ("weekday", "invalid"),
        ("end_time", "before_start"),
        ("valid_until", "before_start"),
    ]
    assert not WorkingHours.objects.exists()


def test_hours_overlapping_the_providers_hours_elsewhere_are_refused(admin, provider, midtown):
    uptown = location_create(actor=admin, name="Uptown")
    working_hours_add(
        actor=admin,
        provider=provider,
        location=midtown,
        weekday=MONDAY_WEEKDAY,
        start_time=time(9),
        end_time=time(13),
        valid_until=date(2026, 6, 30),
    )

    fields = _fields(
        lambda: working_hours_add(
            actor=admin,
            provider=provider,
            location=uptown,
            weekday=MONDAY_WEEKDAY,
            start_time=time(12),
            end_time=time(17),
        )
    )
    later = working_hours_add(
        actor=admin,
        provider=provider,
        location=uptown,
        weekday=MONDAY_WEEKDAY,
        start_time=time(12),
        end_time=time(17),
        valid_from=date(2026, 7, 1),
    )

    assert fields == [("start_time", "overlaps")]
    assert later.location == uptown


def test_a_break_outside_the_hours_is_refused(admin, provider, midtown):
    working_hours_add(
        actor=admin,
        provider=provider,
        location=midtown,
        weekday=MONDAY_WEEKDAY,
        start_time=time(9),
        end_time=time(12),
    )

    fields = _fields(
        lambda: break_add(
            actor=admin,
            provider=provider,
            location=midtown,
            weekday=MONDAY_WEEKDAY,
            start_time=time(11, 30),
            end_time=time(12, 30),
        )
    )

    assert fields == [("start_time", "outside_hours")]
    assert not Break.objects.exists()


def test_time_off_that_ends_before_it_starts_is_refused_naming_end_at(admin, provider):
    fields = _fields(
        lambda: time_off_add(
            actor=admin,
            provider=provider,
            start_at=local(MONDAY, 12),
            end_at=local(MONDAY, 9),
        )
    )
    naive = _fields(
        lambda: time_off_add(
            actor=admin,
            provider=provider,
            start_at=datetime(2026, 6, 1, 9),
            end_at=local(MONDAY, 9),
        )
    )

    assert fields == [("end_at", "before_start")]
    assert naive == [("start_at", "naive")]
    assert not TimeOff.objects.exists()


def test_a_location_needs_a_known_time_zone_and_a_new_name(admin, midtown):
    fields = _fields(lambda: location_create(actor=admin, name="midtown", time_zone="Mars/Olympus"))

    assert fields == [("name", "duplicate"), ("time_zone", "unknown_time_zone")]
    assert Location.objects.count() == 1


def test_an_appointment_type_needs_a_sensible_duration(admin):
    fields = _fields(
        lambda: appointment_type_create(
            actor=admin, name="Odd", duration_minutes=2, buffer_minutes=-5
        )
    )

    assert fields == [("duration_minutes", "out_of_range"), ("buffer_minutes", "min_value")]
    assert not AppointmentType.objects.exists()


def test_a_buffer_longer_than_a_day_is_refused(admin):
    fields = _fields(
        lambda: appointment_type_create(
            actor=admin, name="Retreat", duration_minutes=60, buffer_minutes=24 * 60 + 1
        )
    )

    assert fields == [("buffer_minutes", "max_value")]
    assert not AppointmentType.objects.exists()


def test_a_holiday_is_added_once_per_location(admin, midtown):
    clinic_holiday_add(actor=admin, date=MONDAY, name="Inventory", location=midtown)

    fields = _fields(
        lambda: clinic_holiday_add(actor=admin, date=MONDAY, name="Again", location=midtown)
    )

    assert fields == [("date", "duplicate")]
    assert ClinicHoliday.objects.count() == 1


def test_the_clinic_wide_holidays_of_the_clinic_settings_close_every_location(
    admin, provider, midtown
):
    working_hours_add(
        actor=admin,
        provider=provider,
        location=midtown,
        weekday=MONDAY_WEEKDAY,
        start_time=time(9),
        end_time=time(10),
    )
    Holiday.objects.create(date=MONDAY, name="Founders' day")

    assert available_slots(appointment_type=make_type(), first_day=MONDAY, last_day=MONDAY) == []


@pytest.mark.parametrize("role", ["provider", "front_desk", "billing", "coach"])
def test_only_an_admin_changes_the_calendar(request, role):
    user = request.getfixturevalue(role)

    with pytest.raises(PermissionDenied):
        location_create(actor=user, name="Somewhere")

    assert not Location.objects.exists()
