import pytest
from django.urls import reverse

from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def _nav_labels(user):
    response = signed_in_client(user).get(reverse("staff:patient_search"))
    return [item["label"] for item in response.context["staff_nav"]]


def test_a_practice_admin_sees_team_and_clinic(admin):
    assert _nav_labels(admin)[-2:] == ["Team", "Clinic"]


@pytest.mark.parametrize("role", ["provider", "coach", "front_desk", "billing"])
def test_other_staff_do_not(request, role):
    labels = _nav_labels(request.getfixturevalue(role))
    assert "Team" not in labels
    assert "Clinic" not in labels
