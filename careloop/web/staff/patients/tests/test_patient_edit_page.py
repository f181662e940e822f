import pytest
from django.urls import reverse

from careloop.patients.models import Patient
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


def url(patient):
    return reverse("staff:patient_edit", args=[patient.id])


def current(patient):
    return {
        name: ("" if value is None else value)
        for name, value in Patient.objects.values().get(id=patient.id).items()
        if not name.startswith("search_")
        and name not in ("id", "created_at", "updated_at", "user_id", "household_id")
    }


def test_the_form_is_filled_with_the_current_values(provider):
    patient = make_patient(given="Ann", family="Avery", pronouns="she/her")
    page = signed_in_client(provider).get(url(patient)).content.decode()
    assert 'value="Avery"' in page
    assert 'value="she/her"' in page


def test_saving_changes_returns_to_the_chart(provider):
    patient = make_patient(given="Ann", family="Avery")
    data = current(patient) | {"legal_family_name": "Avery-Ng", "date_of_birth": "1980-05-17"}
    response = signed_in_client(provider).post(url(patient), data)
    assert response.status_code == 302
    assert Patient.objects.get(id=patient.id).legal_family_name == "Avery-Ng"


def test_a_bad_value_is_shown_and_nothing_changes(provider):
    patient = make_patient(given="Ann", family="Avery")
    data = current(patient) | {
        "legal_family_name": "Avery-Ng",
        "email": "nope",
        "date_of_birth": "1980-05-17",
    }
    response = signed_in_client(provider).post(url(patient), data)
    assert response.status_code == 422
    assert "is not an email address" in response.content.decode()
    assert Patient.objects.get(id=patient.id).legal_family_name == "Avery"


def test_billing_cannot_edit(billing):
    patient = make_patient()
    assert signed_in_client(billing).get(url(patient)).status_code == 403
