import pytest

from careloop.accounts.roles import Role
from careloop.patients.selectors import care_team_members
from careloop.patients.services import care_team_assign
from careloop.testing.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_care_team_lists_the_primary_provider_first_then_providers_coaches_coordinators(
    front_desk, patient_ann
):
    coordinator = make_user(role=Role.COORDINATOR)
    coach = make_user(role=Role.COORDINATOR)
    provider = make_user(role=Role.PROVIDER)
    primary = make_user(role=Role.PROVIDER)
    for staff, role in [
        (coordinator, "coordinator"),
        (coach, "coach"),
        (provider, "provider"),
        (primary, "primary_provider"),
    ]:
        care_team_assign(actor=front_desk, patient=patient_ann, staff=staff, role=role)

    members = care_team_members(patient_ann)

    assert [(member.staff, member.role) for member in members] == [
        (primary, "primary_provider"),
        (provider, "provider"),
        (coach, "coach"),
        (coordinator, "coordinator"),
    ]
