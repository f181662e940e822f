from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.patients.models import CareTeamMember
from careloop.patients.services import care_team_assign, household_add_member, household_create
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_patient
from careloop.web.staff.patients.chart import CHART_SECTIONS

pytestmark = pytest.mark.django_db


def chart(user, patient):
    return signed_in_client(user).get(reverse("staff:patient_chart", args=[patient.id]))


def test_the_chart_lives_under_the_patient_id(patient_ann):
    assert (
        reverse("staff:patient_chart", args=[patient_ann.id])
        == f"/staff/patients/{patient_ann.id}/"
    )


def test_the_banner_shows_name_preferred_name_age_sex_gender_pronouns_and_contact(provider):
    clock.freeze(datetime(2025, 6, 1, 12, tzinfo=UTC))
    patient = make_patient(
        given="Alexandra",
        family="Avery",
        preferred_name="Alex",
        date_of_birth=date(1980, 5, 17),
        gender_identity="Nonbinary",
        pronouns="they/them",
        mobile_phone="+15125550101",
    )
    page = chart(provider, patient).content.decode()
    assert "Alexandra Avery" in page
    assert "Goes by <strong>Alex</strong>" in page
    assert "45 years · born 1980-05-17" in page
    assert "Female at birth · Nonbinary" in page
    assert "they/them" in page
    assert "(512) 555-0101" in page


def test_demographics_household_and_care_team_come_in_that_order():
    titles = {"Demographics", "Household", "Care team"}
    assert [section.title for section in CHART_SECTIONS if section.title in titles] == [
        "Demographics",
        "Household",
        "Care team",
    ]


def test_the_chart_shows_household_members_and_the_care_team(front_desk, provider, coach):
    head = make_patient(given="Hana", family="Ito")
    child = make_patient(given="Ken", family="Ito")
    household = household_create(actor=front_desk, name="Ito family", head=head)
    household_add_member(actor=front_desk, household=household, patient=child)
    care_team_assign(actor=front_desk, patient=child, staff=provider, role="primary_provider")
    care_team_assign(actor=front_desk, patient=child, staff=coach, role="coach")
    page = chart(front_desk, child).content.decode()
    assert "Ito family" in page
    assert reverse("staff:patient_chart", args=[head.id]) in page
    assert "Head" in page
    assert provider.display_name in page
    assert "Primary provider" in page
    assert "Health coach" in page
    assert reverse("staff:household_set_head", args=[household.id, child.id]) in page
    assert reverse("staff:care_team_assign", args=[child.id]) in page


def test_roles_without_household_or_care_team_rights_see_no_controls(billing, front_desk):
    patient = make_patient()
    household_create(actor=front_desk, name="Solo", head=patient)
    page = chart(billing, patient).content.decode()
    assert "Solo" in page
    assert "Make head" not in page
    assert reverse("staff:care_team_assign", args=[patient.id]) not in page
    assert "Edit demographics" not in page


def test_a_patient_without_a_household_is_offered_to_start_one(front_desk):
    patient = make_patient()
    page = chart(front_desk, patient).content.decode()
    assert f"{reverse('staff:household_create')}?head={patient.id}" in page


def test_every_chart_view_is_an_audit_event_with_the_patient_id(provider):
    patient = make_patient()
    chart(provider, patient)
    event = AuditEvent.objects.get(action="patient.view")
    assert (event.patient_id, event.actor_id, event.outcome) == (patient.id, provider.id, "success")


def test_a_missing_patient_is_not_found(provider):
    response = signed_in_client(provider).get("/staff/patients/999999/")
    assert response.status_code == 404


def test_a_patient_cannot_open_even_their_own_staff_chart(patient_ann):
    assert chart(patient_ann.user, patient_ann).status_code == 404


def test_assigning_a_care_team_member_from_the_chart(front_desk, provider):
    patient = make_patient()
    response = signed_in_client(front_desk).post(
        reverse("staff:care_team_assign", args=[patient.id]),
        {"staff": provider.id, "role": "primary_provider"},
    )
    assert response.status_code == 302
    assert CareTeamMember.objects.get(patient=patient).staff == provider


def test_an_unfit_assignment_is_explained_and_changes_nothing(front_desk, billing):
    patient = make_patient()
    client = signed_in_client(front_desk)
    response = client.post(
        reverse("staff:care_team_assign", args=[patient.id]),
        {"staff": billing.id, "role": "coach"},
        follow=True,
    )
    assert "cannot be a health coach" in response.content.decode()
    assert not CareTeamMember.objects.exists()


def test_removing_a_care_team_member_from_the_chart(front_desk, coach):
    patient = make_patient()
    member = care_team_assign(actor=front_desk, patient=patient, staff=coach, role="coach")
    signed_in_client(front_desk).post(
        reverse("staff:care_team_remove", args=[patient.id, member.id])
    )
    assert not CareTeamMember.objects.exists()


def test_a_provider_cannot_change_the_care_team(provider):
    patient = make_patient()
    response = signed_in_client(provider).post(
        reverse("staff:care_team_assign", args=[patient.id]),
        {"staff": provider.id, "role": "provider"},
    )
    assert response.status_code == 403
    assert not CareTeamMember.objects.exists()
