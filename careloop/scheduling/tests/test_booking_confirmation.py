"""A booking is confirmed to the patient by email (with an .ics of the visits) and text, once
per booking and once for a whole series, with no clinical detail (synthetic data only)."""

from datetime import date, time

import pytest
from icalendar import Calendar

from careloop.notifications.models import Channel, OutboxMessage
from careloop.scheduling.models import SeriesFrequency
from careloop.scheduling.series import SeriesRule
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.services.series import series_book
from careloop.scheduling.tests.builders import (
    TUESDAY,
    clinic_in_new_york,
    local,
    make_location,
    make_type,
    weekday_hours,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def calendar(provider):
    clinic_in_new_york()
    location = make_location("Midtown", address="1 Example Plaza\nNew York, NY")
    weekday_hours(provider, location)
    return location, make_type(name="Weight management visit")


def _events(message):
    parsed = Calendar.from_ical(message.attachment)
    return list(parsed.walk("VEVENT"))


def test_booking_a_visit_emails_an_ics_and_texts_the_patient(
    front_desk, provider, patient_ann, calendar
):
    location, kind = calendar
    visit = appointment_book(
        actor=front_desk,
        patient=patient_ann,
        provider=provider,
        location=location,
        appointment_type=kind,
        start_at=local(TUESDAY, 10),
    )

    email = OutboxMessage.objects.get(kind="scheduling.booked", channel=Channel.EMAIL)
    sms = OutboxMessage.objects.get(kind="scheduling.booked", channel=Channel.SMS)
    assert (email.recipient, sms.recipient) == (patient_ann.email, patient_ann.mobile_phone)
    assert "Tuesday, June 2, 2026 at 10:00 AM EDT" in email.body
    assert "Tuesday, June 2, 2026 at 10:00 AM EDT" in sms.body
    for message in (email, sms):
        assert "Weight" not in message.subject + message.body
    assert (email.attachment_name, email.attachment_type) == (
        "visit.ics",
        "text/calendar; charset=utf-8",
    )
    assert sms.attachment == ""
    [event] = _events(email)
    assert event["UID"] == f"appointment-{visit.pk}@127.0.0.1"
    assert event.decoded("DTSTART") == local(TUESDAY, 10)
    assert event.decoded("DTEND") == local(TUESDAY, 10, 30)
    assert str(event["LOCATION"]) == "Midtown, 1 Example Plaza New York, NY"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "Weight" not in str(event["SUMMARY"])


def test_a_series_is_confirmed_once_with_every_visit_in_one_ics(
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
            frequency=SeriesFrequency.MONTHLY_ON_DATE,
            start_date=date(2026, 6, 10),
            local_start_time=time(9),
            count=3,
        ),
    )

    email = OutboxMessage.objects.get(kind="scheduling.booked", channel=Channel.EMAIL)
    assert OutboxMessage.objects.filter(kind="scheduling.booked").count() == 2
    assert email.subject.startswith("Your 3 visits at ")
    for line in (
        "- Wednesday, June 10, 2026 at 9:00 AM EDT",
        "- Friday, July 10, 2026 at 9:00 AM EDT",
        "- Monday, August 10, 2026 at 9:00 AM EDT",
    ):
        assert line in email.body
    starts = [event.decoded("DTSTART") for event in _events(email)]
    assert starts == [visit.start_at for visit in outcome.appointments]


def test_a_patient_without_email_or_mobile_gets_no_message_and_the_visit_books(
    front_desk, provider, patient_ann, calendar
):
    location, kind = calendar
    patient_ann.email = ""
    patient_ann.mobile_phone = ""
    patient_ann.save()
    appointment_book(
        actor=front_desk,
        patient=patient_ann,
        provider=provider,
        location=location,
        appointment_type=kind,
        start_at=local(TUESDAY, 10),
    )
    assert not OutboxMessage.objects.filter(kind="scheduling.booked").exists()
