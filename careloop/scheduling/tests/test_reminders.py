"""Visit reminders: sent once each at their hours before the visit, the nearest only when
several are due together, never for a cancelled visit, afresh after a move, and in words that
carry no clinical detail (synthetic data only)."""

from datetime import date, time, timedelta

import pytest

from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.core.models import ClinicSettings
from careloop.notifications.models import Channel, OutboxMessage
from careloop.scheduling.links import appointment_from_token
from careloop.scheduling.models import AppointmentReminder, SchedulingSettings, SeriesFrequency
from careloop.scheduling.series import SeriesRule
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.services.calendar import scheduling_settings_update
from careloop.scheduling.services.reminders import appointment_reminders_send
from careloop.scheduling.services.series import series_book
from careloop.scheduling.services.series_changes import Scope, series_move
from careloop.scheduling.services.status import appointment_cancel
from careloop.scheduling.tests.builders import (
    MONDAY,
    clinic_in_new_york,
    local,
    make_location,
    make_type,
    weekday_hours,
)

pytestmark = pytest.mark.django_db

WEDNESDAY = date(2026, 6, 3)


@pytest.fixture
def calendar(provider):
    clinic_in_new_york()  # Monday June 1 2026, 8:00 in New York
    location = make_location()
    weekday_hours(provider, location)
    return location, make_type(name="Diabetes follow-up")


def _book(front_desk, provider, patient, calendar, start):
    location, kind = calendar
    return appointment_book(
        actor=front_desk,
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=kind,
        start_at=start,
    )


def _reminders():
    return list(
        OutboxMessage.objects.filter(kind="scheduling.reminder")
        .order_by("created_at", "channel")
        .values_list("channel", "recipient")
    )


def test_a_visit_is_reminded_48_and_2_hours_before_once_each(
    front_desk, provider, patient_ann, calendar
):
    visit = _book(front_desk, provider, patient_ann, calendar, local(WEDNESDAY, 10))

    clock.freeze(local(MONDAY, 9, 59))
    assert appointment_reminders_send() == 0
    clock.freeze(local(MONDAY, 10))  # 48 hours before
    assert appointment_reminders_send() == 1
    assert appointment_reminders_send() == 0
    contacts = [(Channel.EMAIL, patient_ann.email), (Channel.SMS, patient_ann.mobile_phone)]
    assert sorted(_reminders()) == sorted(contacts)

    clock.freeze(local(WEDNESDAY, 7, 59))
    assert appointment_reminders_send() == 0
    clock.freeze(local(WEDNESDAY, 8, 3))  # the job runs every few minutes
    assert appointment_reminders_send() == 1
    assert appointment_reminders_send() == 0
    assert len(_reminders()) == 4
    assert sorted(
        AppointmentReminder.objects.filter(appointment=visit).values_list("hours_before", "sent")
    ) == [(2, True), (48, True)]


def test_the_reminder_names_the_clinic_time_and_place_with_a_link_and_nothing_clinical(
    front_desk, provider, patient_ann, calendar
):
    visit = _book(front_desk, provider, patient_ann, calendar, local(WEDNESDAY, 10))
    clock.freeze(local(MONDAY, 10))
    appointment_reminders_send()

    email = OutboxMessage.objects.get(kind="scheduling.reminder", channel=Channel.EMAIL)
    sms = OutboxMessage.objects.get(kind="scheduling.reminder", channel=Channel.SMS)
    for message in (email, sms):
        assert "Wednesday, June 3, 2026 at 10:00 AM EDT" in message.body
        assert "Diabetes" not in message.body + message.subject
        assert "Pat" not in message.body  # no provider name
        token = message.body.split("/visit/")[1].split("/")[0]
        assert appointment_from_token(token) == visit.pk
    assert email.subject == f"Reminder: your visit at {ClinicSettings.objects.get().name}"
    assert sms.subject == ""


def test_when_both_reminders_are_due_together_only_the_nearest_is_sent(
    front_desk, provider, patient_ann, calendar
):
    visit = _book(front_desk, provider, patient_ann, calendar, local(WEDNESDAY, 10))
    clock.freeze(local(WEDNESDAY, 9))  # no job ran since Monday morning

    assert appointment_reminders_send() == 1
    assert appointment_reminders_send() == 0
    assert len(_reminders()) == 2  # one email and one text, not two of each
    assert sorted(
        AppointmentReminder.objects.filter(appointment=visit).values_list("hours_before", "sent")
    ) == [(2, True), (48, False)]


def test_a_visit_booked_inside_a_reminders_window_gets_only_the_later_ones(
    front_desk, provider, patient_ann, calendar
):
    clock.freeze(local(MONDAY, 11))
    _book(front_desk, provider, patient_ann, calendar, local(WEDNESDAY, 10))  # 47 hours ahead

    assert appointment_reminders_send() == 0
    clock.freeze(local(WEDNESDAY, 8))
    assert appointment_reminders_send() == 1
    assert AppointmentReminder.objects.get().hours_before == 2


def test_a_cancelled_visit_is_not_reminded(front_desk, provider, patient_ann, calendar):
    visit = _book(front_desk, provider, patient_ann, calendar, local(WEDNESDAY, 10))
    appointment_cancel(actor=front_desk, appointment=visit, reason="Patient called")

    clock.freeze(local(MONDAY, 10))
    assert appointment_reminders_send() == 0
    assert _reminders() == []


def test_a_moved_visit_is_reminded_again_for_its_new_time(
    front_desk, provider, patient_ann, calendar
):
    location, kind = calendar
    outcome = series_book(
        actor=front_desk,
        patient=patient_ann,
        provider=provider,
        location=location,
        appointment_type=kind,
        rule=SeriesRule(
            frequency=SeriesFrequency.WEEKLY,
            start_date=WEDNESDAY,
            local_start_time=time(10),
            count=2,
        ),
    )
    assert outcome.series is not None
    clock.freeze(local(MONDAY, 10))
    assert appointment_reminders_send() == 1

    series_move(
        actor=front_desk,
        series=outcome.series,
        scope=Scope.ONE,
        occurrence_index=0,
        start_at=local(WEDNESDAY, 15),
    )
    clock.freeze(local(MONDAY, 14, 59))
    assert appointment_reminders_send() == 0
    clock.freeze(local(MONDAY, 15))  # 48 hours before the new time
    assert appointment_reminders_send() == 1
    assert len(_reminders()) == 4


def test_the_clinic_chooses_the_reminder_hours_or_none(
    admin, front_desk, provider, patient_ann, calendar
):
    scheduling_settings_update(actor=admin, reminder_hours=[24])
    _book(front_desk, provider, patient_ann, calendar, local(WEDNESDAY, 10))

    clock.freeze(local(MONDAY, 10))
    assert appointment_reminders_send() == 0
    clock.freeze(local(MONDAY, 8) + timedelta(days=1, hours=2))  # Tuesday 10:00
    assert appointment_reminders_send() == 1

    scheduling_settings_update(actor=admin, reminder_hours=[])
    clock.freeze(local(WEDNESDAY, 9))
    assert appointment_reminders_send() == 0


@pytest.mark.parametrize(
    ("hours", "rule"),
    [
        ([0], "1 to 336 hours"),
        ([337], "1 to 336 hours"),
        ([48, 48], "given once"),
        ([1, 2, 3, 4, 5], "At most 4"),
        (["48"], "whole numbers"),
        ([True], "whole numbers"),
        (48, "whole numbers"),
    ],
)
def test_bad_reminder_hours_are_refused_naming_the_field_and_change_nothing(admin, hours, rule):
    with pytest.raises(ValidationFailed) as refused:
        scheduling_settings_update(actor=admin, reminder_hours=hours)
    [error] = refused.value.errors
    assert error.field == "reminder_hours"
    assert rule in error.message
    assert not SchedulingSettings.objects.exists()
