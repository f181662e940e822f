import pytest

from careloop.accounts.roles import Role
from careloop.audit.models import AuditEvent
from careloop.core.errors import ValidationFailed
from careloop.patients.models import CareTeamMember
from careloop.patients.services import care_team_assign, care_team_remove
from careloop.testing.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_provider_becomes_the_primary_provider(front_desk, provider, patient_ann):
    member = care_team_assign(
        actor=front_desk, patient=patient_ann, staff=provider, role="primary_provider"
    )
    assert (member.staff, member.role) == (provider, "primary_provider")
    event = AuditEvent.objects.get(action="care_team.assign")
    assert event.patient_id == patient_ann.id


@pytest.mark.parametrize(
    ("staff_role", "team_role"),
    [
        (Role.FRONT_DESK, "provider"),
        (Role.COORDINATOR, "primary_provider"),
        (Role.PROVIDER, "coach"),
        (Role.BILLING, "coordinator"),
        (Role.PATIENT, "coach"),
    ],
)
def test_only_staff_of_a_fitting_role_can_join(front_desk, patient_ann, staff_role, team_role):
    staff = make_user(role=staff_role)
    with pytest.raises(ValidationFailed) as raised:
        care_team_assign(actor=front_desk, patient=patient_ann, staff=staff, role=team_role)
    assert [error.field for error in raised.value.errors] == ["staff"]
    assert not CareTeamMember.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_unknown_role_is_refused(front_desk, provider, patient_ann):
    with pytest.raises(ValidationFailed) as raised:
        care_team_assign(actor=front_desk, patient=patient_ann, staff=provider, role="surgeon")
    assert [error.field for error in raised.value.errors] == ["role"]


def test_a_new_primary_provider_replaces_the_current_one(front_desk, provider, patient_ann):
    other = make_user(role=Role.PROVIDER)
    care_team_assign(actor=front_desk, patient=patient_ann, staff=provider, role="primary_provider")
    care_team_assign(actor=front_desk, patient=patient_ann, staff=other, role="primary_provider")
    team = list(CareTeamMember.objects.filter(patient=patient_ann).values_list("staff", "role"))
    assert team == [(other.id, "primary_provider")]


def test_coaches_and_coordinators_come_from_care_coordinators(front_desk, coach, patient_ann):
    care_team_assign(actor=front_desk, patient=patient_ann, staff=coach, role="coach")
    member = care_team_assign(
        actor=front_desk, patient=patient_ann, staff=coach, role="coordinator"
    )
    assert CareTeamMember.objects.get().role == "coordinator" == member.role


def test_removing_a_member_is_audited(front_desk, coach, patient_ann):
    member = care_team_assign(actor=front_desk, patient=patient_ann, staff=coach, role="coach")
    care_team_remove(actor=front_desk, member=member)
    assert not CareTeamMember.objects.exists()
    assert AuditEvent.objects.filter(action="care_team.remove", patient_id=patient_ann.id).exists()
