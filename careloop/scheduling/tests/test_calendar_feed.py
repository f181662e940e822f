"""A provider's private iCalendar feed: an unguessable address kept only as a hash, the
provider's own visits without patient names, cancelled ones marked so, and an address that
stops working when renewed or turned off (synthetic data only)."""

import hashlib

import pytest
from django.test import Client
from icalendar import Calendar

from careloop.accounts.roles import Role
from careloop.audit.models import AuditEvent
from careloop.core.errors import PermissionDenied
from careloop.scheduling.models import CalendarFeed
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.services.feeds import calendar_feed_renew, calendar_feed_stop
from careloop.scheduling.services.status import appointment_cancel
from careloop.scheduling.tests.builders import (
    TUESDAY,
    clinic_in_new_york,
    local,
    make_location,
    make_type,
    weekday_hours,
)
from careloop.testing.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def visits(front_desk, provider, patient_ann, patient_bob):
    """Dr. Pat sees Ann at 10:00 and Bob at 11:00 (cancelled) on Tuesday June 2 2026; Dr. Lee
    sees Ann at 14:00."""
    clinic_in_new_york()
    location = make_location()
    kind = make_type(name="Annual physical")
    other = make_user(role=Role.PROVIDER, username="provider_lee")
    weekday_hours(provider, location)
    weekday_hours(other, location)

    def book(who, patient, hour):
        return appointment_book(
            actor=front_desk,
            patient=patient,
            provider=who,
            location=location,
            appointment_type=kind,
            start_at=local(TUESDAY, hour),
        )

    kept = book(provider, patient_ann, 10)
    cancelled = book(provider, patient_bob, 11)
    appointment_cancel(actor=front_desk, appointment=cancelled, reason="Patient called")
    book(other, patient_ann, 14)
    return kept, cancelled


def _path(url):
    return url.split("127.0.0.1:8000", 1)[1]


def test_the_feed_lists_the_providers_own_visits_without_patient_names(provider, visits):
    kept, cancelled = visits
    url = calendar_feed_renew(actor=provider)

    response = Client().get(_path(url))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    text = response.content.decode()
    assert "Avery" not in text
    assert "Baker" not in text
    events = {str(event["UID"]): event for event in Calendar.from_ical(text).walk("VEVENT")}
    assert set(events) == {
        f"appointment-{kept.pk}@127.0.0.1",
        f"appointment-{cancelled.pk}@127.0.0.1",
    }
    visit = events[f"appointment-{kept.pk}@127.0.0.1"]
    assert visit.decoded("DTSTART") == local(TUESDAY, 10)
    assert str(visit["SUMMARY"]) == "Annual physical"
    assert str(visit["STATUS"]) == "CONFIRMED"
    assert str(events[f"appointment-{cancelled.pk}@127.0.0.1"]["STATUS"]) == "CANCELLED"


def test_only_the_hash_of_the_token_is_kept(provider, visits):
    url = calendar_feed_renew(actor=provider)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = CalendarFeed.objects.get(provider=provider)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 40


def test_renewing_ends_the_old_address_and_stopping_ends_the_feed(provider, visits):
    old = calendar_feed_renew(actor=provider)
    new = calendar_feed_renew(actor=provider)
    assert Client().get(_path(old)).status_code == 404
    assert Client().get(_path(new)).status_code == 200

    assert calendar_feed_stop(actor=provider) is True
    assert Client().get(_path(new)).status_code == 404
    assert calendar_feed_stop(actor=provider) is False
    actions = list(
        AuditEvent.objects.filter(actor_id=provider.pk, action__startswith="calendar_feed.")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["calendar_feed.renew", "calendar_feed.renew", "calendar_feed.stop"]


def test_a_made_up_address_is_not_found(visits):
    assert Client().get("/calendar/not-a-real-token.ics").status_code == 404


def test_a_deactivated_providers_feed_stops(provider, visits):
    url = calendar_feed_renew(actor=provider)
    provider.is_active = False
    provider.save()
    assert Client().get(_path(url)).status_code == 404


def test_front_desk_has_no_calendar_feed(front_desk, visits):
    with pytest.raises(PermissionDenied):
        calendar_feed_renew(actor=front_desk)
    assert not CalendarFeed.objects.exists()
