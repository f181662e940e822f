from datetime import date

import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.patients.models import Patient
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db
URL = "/staff/patients/new/"


def form(**overrides):
    data = {
        "legal_given_name": "Zoë",
        "legal_family_name": "Ito",
        "preferred_name": "",
        "date_of_birth": "1990-04-02",
        "sex_at_birth": "female",
        "mobile_phone": "(512) 555-0177",
        "email": "zoe.ito@example.invalid",
        "country": "US",
        "preferred_language": "en",
    }
    return data | overrides


def test_the_form_groups_every_demographic_field(front_desk):
    page = signed_in_client(front_desk).get(URL).content.decode()
    for legend in (
        "Legal and preferred name",
        "Birth and identity",
        "Contact",
        "Address",
        "Emergency contact",
    ):
        assert f"<legend>{legend}</legend>" in page
    for name in (
        "gender_identity",
        "pronouns",
        "home_phone",
        "postal_code",
        "emergency_contact_phone",
    ):
        assert f'name="{name}"' in page


def test_registering_a_patient_opens_their_chart(front_desk):
    response = signed_in_client(front_desk).post(URL, form())
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:patient_chart", args=[patient.id])
    assert patient.mobile_phone == "+15125550177"


def test_field_errors_are_shown_beside_their_fields_and_nothing_is_created(front_desk):
    response = signed_in_client(front_desk).post(
        URL, form(legal_family_name="", mobile_phone="555", date_of_birth="2999-01-01")
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_legal_family_name-errors"' in page
    assert "Legal family name is required." in page
    assert 'id="id_mobile_phone-errors"' in page
    assert "Date of birth cannot be in the future." in page
    assert not Patient.objects.exists()


def test_a_likely_duplicate_is_shown_with_a_link_and_a_create_anyway_button(front_desk):
    existing = make_patient(given="Zoe", family="ITO", date_of_birth=date(1990, 4, 2))
    client = signed_in_client(front_desk)
    response = client.post(URL, form())
    page = response.content.decode()
    assert "This may be a patient who is already registered" in page
    assert reverse("staff:patient_chart", args=[existing.id]) in page
    assert 'name="confirm_duplicate" value="yes"' in page
    assert Patient.objects.count() == 1
    assert AuditEvent.objects.filter(
        action="patient.duplicate_check", patient_id=existing.id
    ).exists()

    response = client.post(URL, form(confirm_duplicate="yes"))
    assert response.status_code == 302
    assert Patient.objects.count() == 2


@pytest.mark.parametrize("role", ["provider", "billing"])
def test_roles_without_the_capability_are_refused(request, role):
    user = request.getfixturevalue(role)
    response = signed_in_client(user).post(URL, form())
    assert response.status_code == 403
    assert not Patient.objects.exists()
