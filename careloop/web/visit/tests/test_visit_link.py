"""The page behind a reminder's link: the patient confirms or cancels without signing in, sees
a late-cancel fee before pressing, and cannot change a visit that has begun or reach it with
an altered or expired link (synthetic data only)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from careloop.core import clock
from careloop.scheduling.links import visit_token
from careloop.scheduling.models import Appointment, AppointmentStatus, AppointmentStatusChange
from careloop.scheduling.services.booking import appointment_book
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
def visit(front_desk, provider, patient_ann):
    """Tuesday June 2 2026 at 10:00 in New York; cancelling within 24 hours costs $40."""
    clinic_in_new_york()
    location = make_location()
    weekday_hours(provider, location)
    return appointment_book(
        actor=front_desk,
        patient=patient_ann,
        provider=provider,
        location=location,
        appointment_type=make_type(
            name="Hormone therapy review", late_cancel_window_hours=24, late_cancel_fee=4000
        ),
        start_at=local(TUESDAY, 10),
    )


def _url(visit):
    return reverse("visit:respond", kwargs={"token": visit_token(visit.pk)})


def test_the_page_shows_when_and_where_and_nothing_clinical(visit):
    token = visit_token(visit.pk)
    page = Client().get(reverse("visit:respond", kwargs={"token": token})).content.decode()
    assert "Tuesday, June 2, 2026 at 10:00 AM EDT" in page
    assert "Midtown, 1 Example Plaza" in page
    # The link's own token is random text: a name could turn up in it by chance.
    text = page.replace(token, "")
    assert "Hormone" not in text
    assert "Avery" not in text
    assert "Confirm my visit" in page
    assert "Cancel my visit" in page
    assert "late-cancellation fee" not in page  # more than 24 hours ahead


def test_the_patient_confirms_from_the_link(visit):
    response = Client().post(_url(visit), {"action": "confirm"})
    assert response.status_code == 200
    assert "your visit is confirmed" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.CONFIRMED
    change = AppointmentStatusChange.objects.get(appointment=visit, action="confirm")
    assert change.actor is None
    assert "Confirm my visit" not in response.content.decode()


def test_cancelling_late_shows_the_fee_first_and_is_marked_late(visit):
    clock.freeze(local(TUESDAY, 8))
    page = Client().get(_url(visit)).content.decode()
    assert "within 24 hours" in page
    assert "$40.00" in page

    Client().post(_url(visit), {"action": "cancel"})
    visit.refresh_from_db()
    assert (visit.status, visit.late_cancel) == (AppointmentStatus.CANCELLED, True)
    change = AppointmentStatusChange.objects.get(appointment=visit, action="cancel")
    assert change.reason == "Cancelled by the patient from the reminder link."


def test_nothing_changes_once_the_visit_has_begun(visit):
    clock.freeze(local(TUESDAY, 10, 1))
    response = Client().post(_url(visit), {"action": "cancel"})
    assert "This visit has begun" in response.content.decode()
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.SCHEDULED


def test_an_unknown_action_is_refused_and_changes_nothing(visit):
    response = Client().post(_url(visit), {"action": "check_in"})
    assert "Choose to confirm or to cancel" in response.content.decode()
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.SCHEDULED


def test_an_altered_or_expired_link_is_not_found(visit):
    token = visit_token(visit.pk)
    forged = reverse("visit:respond", kwargs={"token": f"{visit.pk + 1}{token[1:]}"})
    assert Client().get(forged).status_code == 404
    clock.advance(timedelta(days=31))
    assert Client().get(_url(visit)).status_code == 200  # a fresh link still works
    expired = reverse("visit:respond", kwargs={"token": token})
    assert Client().get(expired).status_code == 404
    assert Client().post(expired, {"action": "cancel"}).status_code == 404
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.SCHEDULED


def test_a_cancelled_visit_offers_no_buttons(visit, front_desk):
    Client().post(_url(visit), {"action": "cancel"})
    page = Client().get(_url(visit)).content.decode()
    assert "Cancelled" in page
    assert "Confirm my visit" not in page
    assert "Cancel my visit" not in page
