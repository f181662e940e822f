"""The staff scheduling pages: a location's day, a provider's week, a visit with its status
actions, booking a found slot after seeing the membership effect, a series with a conflict
and its alternative, and the chart's upcoming visits (synthetic data only).

Active Care covers 2 provider visits a month ($60.00 beyond them); Dr. Pat works weekdays
9:00-17:00 at Midtown with lunch 12:00-13:00; now is Monday June 1 2026, 8:00 in New York.
"""

from datetime import date

import pytest
from django.urls import reverse

from careloop.scheduling.models import Appointment, AppointmentStatus
from careloop.scheduling.tests.builders import (
    MONDAY,
    TUESDAY,
    local,
    make_location,
    weekday_hours,
)
from careloop.scheduling.tests.membership_builders import A_LA_CARTE, member_clinic
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(provider, patient_ann):
    found = member_clinic(provider)
    found.enroll(patient_ann)
    return found


def test_the_day_shows_each_providers_visits_at_the_location(clinic, front_desk, patient_ann):
    clinic.book(front_desk, patient_ann, local(TUESDAY, 10))
    page = (
        signed_in_client(front_desk)
        .get(reverse("staff:schedule_day"), {"day": "2026-06-02", "location": clinic.location.pk})
        .content.decode()
    )
    assert "Tuesday, June 2, 2026 · Midtown" in page
    assert clinic.provider.display_name in page
    assert "9:00 AM\u20135:00 PM" in page
    assert "10:00 AM\u201310:30 AM" in page
    assert "Ann Avery" in page


def test_the_week_shows_the_providers_visits_by_day(clinic, front_desk, patient_ann):
    clinic.book(front_desk, patient_ann, local(TUESDAY, 15))
    page = (
        signed_in_client(front_desk)
        .get(
            reverse("staff:schedule_week"), {"provider": clinic.provider.pk, "start": "2026-06-03"}
        )
        .content.decode()
    )
    assert "Week of June 1, 2026" in page
    tuesday = page.split("Tue 2")[1].split("Wed 3")[0]
    assert "3:00 PM" in tuesday
    assert "Ann Avery" in tuesday


def test_front_desk_books_a_found_slot_after_seeing_it_is_covered(clinic, front_desk, patient_ann):
    client = signed_in_client(front_desk)
    url = reverse("staff:book_visit", kwargs={"patient_id": patient_ann.pk})
    search = client.get(
        url, {"appointment_type": clinic.visit.pk, "first_day": "2026-06-02", "days": 1}
    ).content.decode()
    assert "Tuesday, June 2" in search
    assert "9:00 AM" in search
    assert "11:30 AM" in search
    assert "12:00 PM" not in search  # lunch

    start = local(TUESDAY, 9)
    slot = {
        "appointment_type": clinic.visit.pk,
        "slot_provider": clinic.provider.pk,
        "slot_location": clinic.location.pk,
        "start": start.isoformat(),
    }
    confirm = client.get(url, slot).content.decode()
    assert "Covered by the plan" in confirm
    assert "1 left after this one" in confirm

    response = client.post(url, slot)
    visit = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "staff:visit_detail", kwargs={"appointment_id": visit.pk}
    )
    assert (visit.start_at, visit.coverage) == (start, "covered")


def test_a_visit_beyond_the_allowance_books_only_with_the_price_agreed(
    clinic, front_desk, patient_ann
):
    clinic.book(front_desk, patient_ann, local(TUESDAY, 9))
    clinic.book(front_desk, patient_ann, local(TUESDAY, 10))
    client = signed_in_client(front_desk)
    url = reverse("staff:book_visit", kwargs={"patient_id": patient_ann.pk})
    slot = {
        "appointment_type": clinic.visit.pk,
        "slot_provider": clinic.provider.pk,
        "slot_location": clinic.location.pk,
        "start": local(TUESDAY, 11).isoformat(),
    }
    assert "$60.00" in client.get(url, slot).content.decode()

    refused = client.post(url, slot, follow=True).content.decode()
    assert Appointment.objects.count() == 2
    assert "$60.00" in refused

    client.post(url, {**slot, "acknowledged_price": "6000"})
    assert Appointment.objects.count() == 3
    assert Appointment.objects.latest("id").quoted_price == 6000


def test_a_visit_is_checked_in_completed_and_the_page_offers_only_allowed_actions(
    clinic, front_desk, patient_ann
):
    visit = clinic.book(front_desk, patient_ann, local(MONDAY, 9))
    client = signed_in_client(front_desk)
    page = client.get(reverse("staff:visit_detail", kwargs={"appointment_id": visit.pk}))
    text = page.content.decode()
    assert "Check in" in text
    assert "Confirm" in text
    assert "No-show" not in text  # not before the visit has started
    act = reverse("staff:visit_act", kwargs={"appointment_id": visit.pk})

    client.post(act, {"action": "check_in"})
    client.post(act, {"action": "complete"})
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.COMPLETED
    after = client.get(reverse("staff:visit_detail", kwargs={"appointment_id": visit.pk}))
    assert b"Check in</button>" not in after.content
    assert b"Completed" in after.content


def test_an_action_the_visit_does_not_allow_is_refused_and_changes_nothing(
    clinic, front_desk, patient_ann
):
    visit = clinic.book(front_desk, patient_ann, local(MONDAY, 9))
    client = signed_in_client(front_desk)
    act = reverse("staff:visit_act", kwargs={"appointment_id": visit.pk})
    page = client.post(act, {"action": "complete"}, follow=True).content.decode()
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.SCHEDULED
    assert "complete" in page.lower()


def test_a_series_shows_its_conflict_with_alternatives_and_books_with_the_one_chosen(
    clinic, front_desk, patient_ann, patient_bob
):
    taken = local(date(2026, 6, 30), 10)  # the second visit, four weeks on
    clinic.book(front_desk, patient_bob, taken, acknowledged_price=A_LA_CARTE)
    client = signed_in_client(front_desk)
    url = reverse("staff:book_series", kwargs={"patient_id": patient_ann.pk})
    form = {
        "appointment_type": clinic.visit.pk,
        "provider": clinic.provider.pk,
        "location": clinic.location.pk,
        "frequency": "weekly",
        "interval": 4,
        "start_date": "2026-06-02",
        "local_start_time": "10:00",
        "count": 6,
    }
    checked = client.post(url, {**form, "check": "1"}).content.decode()
    assert "6 visits: 1 needs another time" in checked
    assert 'name="move-1"' in checked
    assert Appointment.objects.filter(patient=patient_ann).count() == 0

    alternative = local(date(2026, 6, 30), 10, 30)
    response = client.post(url, {**form, "book": "1", "move-1": alternative.isoformat()})
    assert response.status_code == 302
    starts = list(
        Appointment.objects.filter(patient=patient_ann)
        .order_by("start_at")
        .values_list("start_at", flat=True)
    )
    assert len(starts) == 6
    assert starts[1] == alternative

    chart = client.get(reverse("staff:patient_chart", kwargs={"patient_id": patient_ann.pk}))
    assert "Tue Jun 2, 2026 10:00 AM" in chart.content.decode()


def test_a_series_without_an_end_is_refused_naming_the_field(clinic, front_desk, patient_ann):
    client = signed_in_client(front_desk)
    url = reverse("staff:book_series", kwargs={"patient_id": patient_ann.pk})
    page = client.post(
        url,
        {
            "appointment_type": clinic.visit.pk,
            "provider": clinic.provider.pk,
            "location": clinic.location.pk,
            "frequency": "weekly",
            "interval": 1,
            "start_date": "2026-06-02",
            "local_start_time": "10:00",
            "book": "1",
        },
    ).content.decode()
    assert 'id="count-errors"' in page
    assert not Appointment.objects.exists()


def test_a_series_at_a_location_in_another_zone_is_shown_in_that_locations_time(
    clinic, front_desk, provider, patient_ann
):
    """The clinic keeps New York time; Uptown keeps Chicago time, where 10:00 is 11:00 in
    New York. Staff booking for Uptown see Uptown's clock."""
    uptown = make_location("Uptown", time_zone="America/Chicago")
    weekday_hours(provider, uptown, weekdays=range(5, 7), lunch=False)  # weekends at Uptown
    page = (
        signed_in_client(front_desk)
        .post(
            reverse("staff:book_series", kwargs={"patient_id": patient_ann.pk}),
            {
                "appointment_type": clinic.visit.pk,
                "provider": provider.pk,
                "location": uptown.pk,
                "frequency": "weekly",
                "interval": 1,
                "start_date": "2026-06-06",
                "local_start_time": "10:00",
                "count": 2,
                "check": "1",
            },
        )
        .content.decode()
    )
    assert "Sat Jun 6, 2026 10:00 AM" in page
    assert "11:00 AM" not in page
