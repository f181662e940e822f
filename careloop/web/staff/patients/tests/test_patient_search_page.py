from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.patients.services import household_create
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db
URL = "/staff/patients/"


def test_the_search_page_lives_at_staff_patients():
    assert reverse("staff:patient_search") == URL


def test_an_empty_search_shows_the_box_and_no_results(front_desk):
    response = signed_in_client(front_desk).get(URL)
    assert response.status_code == 200
    assert b'hx-get="/staff/patients/"' in response.content
    assert b"<table" not in response.content


def test_results_show_name_preferred_name_age_phone_email_and_household(front_desk):
    clock.freeze(datetime(2025, 5, 16, 12, tzinfo=UTC))
    ann = make_patient(
        given="Ann",
        family="Avery",
        preferred_name="Annie",
        date_of_birth=date(1980, 5, 17),
        mobile_phone="+15125550101",
    )
    household_create(actor=front_desk, name="Avery family", head=ann)
    response = signed_in_client(front_desk).get(URL, {"q": "ann av"})
    page = response.content.decode()
    assert "Avery, Ann" in page
    assert "“Annie”" in page
    assert "1980-05-17" in page
    assert "(44)" in page
    assert "(512) 555-0101" in page
    assert "ann.avery@example.invalid" in page
    assert "Avery family" in page
    assert reverse("staff:patient_chart", args=[ann.id]) in page


def test_htmx_requests_get_only_the_results(front_desk):
    make_patient(given="Ann", family="Avery")
    response = signed_in_client(front_desk).get(URL, {"q": "avery"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "Avery, Ann" in page
    assert "<html" not in page


def test_no_match_says_so_and_offers_registration(front_desk):
    response = signed_in_client(front_desk).get(URL, {"q": "nobody"})
    assert "No patient matches “nobody”" in response.content.decode()
    assert reverse("staff:patient_create") in response.content.decode()


def test_a_search_is_audited_with_the_patients_shown_but_not_the_query(front_desk):
    ann = make_patient(given="Ann", family="Avery")
    signed_in_client(front_desk).get(URL, {"q": "avery"})
    event = AuditEvent.objects.get(action="patient.search")
    assert event.detail == {"patient_ids": [ann.id]}
    assert "avery" not in str(event.detail).lower()


def test_a_patient_gets_not_found(patient_ann):
    response = signed_in_client(patient_ann.user).get(URL, {"q": "a"})
    assert response.status_code == 404
