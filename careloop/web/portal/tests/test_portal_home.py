import pytest
from django.urls import reverse

from careloop.accounts.roles import Role
from careloop.audit.models import AuditEvent
from careloop.patients.services import care_team_assign, household_create
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_patient_sees_their_demographics_household_and_care_team(
    patient_ann, patient_bob, front_desk, provider
):
    household_create(actor=front_desk, name="Avery home", head=patient_ann)
    care_team_assign(actor=front_desk, patient=patient_ann, staff=provider, role="primary_provider")
    response = signed_in_client(patient_ann.user).get(reverse("portal:home"))
    page = response.content.decode()
    assert reverse("portal:home") == "/portal/"
    assert response.status_code == 200
    assert "Ann Avery" in page
    assert patient_ann.email in page
    assert "Avery home" in page
    assert provider.display_name in page
    assert "Bob" not in page
    assert patient_bob.email not in page


def test_reading_the_portal_is_audited_against_the_patients_own_record(patient_ann):
    signed_in_client(patient_ann.user).get(reverse("portal:home"))
    event = AuditEvent.objects.get(action="portal.view")
    assert (event.patient_id, event.actor_id, event.outcome) == (
        patient_ann.id,
        patient_ann.user.id,
        "success",
    )


def test_a_patient_sign_in_without_a_record_is_told_to_contact_the_clinic(db):
    user = make_user(role=Role.PATIENT)
    response = signed_in_client(user).get(reverse("portal:home"))
    assert response.status_code == 404
    assert "not linked yet" in response.content.decode()


def test_staff_do_not_get_the_portal(provider):
    assert signed_in_client(provider).get(reverse("portal:home")).status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/staff/patients/", "/staff/patients/new/", "/staff/patients/households/"],
)
def test_a_patient_hitting_staff_pages_gets_not_found(patient_ann, url):
    assert signed_in_client(patient_ann.user).get(url).status_code == 404


def test_a_patient_cannot_open_another_patients_chart(patient_ann, patient_bob):
    response = signed_in_client(patient_ann.user).get(
        reverse("staff:patient_chart", args=[patient_bob.id])
    )
    assert response.status_code == 404
