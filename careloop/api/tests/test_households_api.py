import json

import pytest

from careloop.audit.models import AuditEvent
from careloop.patients.models import Household, Patient
from careloop.patients.services import household_add_member, household_create
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db
BASE = "/api/v1/households"


def send(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def family(front_desk):
    head = make_patient(given="Hana", family="Ito")
    child = make_patient(given="Ken", family="Ito")
    household = household_create(actor=front_desk, name="Ito family", head=head)
    household_add_member(actor=front_desk, household=household, patient=child)
    return household, head, child


def test_the_list_shows_households_with_members(provider, family):
    household, head, child = family
    body = signed_in_client(provider).get(BASE).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["id"], item["name"], item["head_id"]) == (household.id, "Ito family", head.id)
    assert {member["id"] for member in item["members"]} == {head.id, child.id}


def test_getting_a_household_audits_each_member(provider, family):
    household, head, child = family
    response = signed_in_client(provider).get(f"{BASE}/{household.id}")
    assert response.status_code == 200
    viewed = set(
        AuditEvent.objects.filter(action="household.view").values_list("patient_id", flat=True)
    )
    assert viewed == {head.id, child.id}


def test_creating_a_household_with_members(front_desk):
    head, other = make_patient(), make_patient()
    response = send(
        signed_in_client(front_desk),
        "post",
        BASE,
        {"name": "Avery home", "head_id": head.id, "member_ids": [other.id]},
    )
    assert response.status_code == 201
    household = Household.objects.get()
    assert household.head == head
    assert set(Patient.objects.filter(household=household)) == {head, other}


def test_an_unknown_head_is_a_422_naming_head_id(front_desk):
    response = send(signed_in_client(front_desk), "post", BASE, {"name": "X", "head_id": 999999})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "head_id"
    assert not Household.objects.exists()


def test_a_member_of_another_household_cannot_join_and_nothing_changes(front_desk, family):
    _, _, child = family
    head = make_patient()
    response = send(
        signed_in_client(front_desk),
        "post",
        BASE,
        {"name": "New", "head_id": head.id, "member_ids": [child.id]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "members"
    assert Household.objects.count() == 1
    assert Patient.objects.get(id=head.id).household_id is None


def test_patch_renames_changes_head_and_sets_members(front_desk, family):
    household, head, child = family
    response = send(
        signed_in_client(front_desk),
        "patch",
        f"{BASE}/{household.id}",
        {"name": "The Itos", "head_id": child.id, "member_ids": [child.id]},
    )
    assert response.status_code == 200
    household.refresh_from_db()
    assert (household.name, household.head_id) == ("The Itos", child.id)
    assert Patient.objects.get(id=head.id).household_id is None


def test_patch_that_drops_the_head_is_a_422_and_changes_nothing(front_desk, family):
    household, head, child = family
    response = send(
        signed_in_client(front_desk), "patch", f"{BASE}/{household.id}", {"member_ids": [child.id]}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "head_not_member"
    assert Patient.objects.get(id=head.id).household_id == household.id


@pytest.mark.parametrize("role", ["provider", "coach", "billing"])
def test_roles_without_household_rights_get_403_and_nothing_changes(request, role, family):
    household, _, child = family
    user = request.getfixturevalue(role)
    client = signed_in_client(user)
    assert send(client, "patch", f"{BASE}/{household.id}", {"name": "Hijacked"}).status_code == 403
    assert send(client, "post", BASE, {"name": "New", "head_id": child.id}).status_code == 403
    assert Household.objects.get(id=household.id).name == "Ito family"
    assert Household.objects.count() == 1


def test_patients_get_404_for_every_household_operation(patient_ann, family):
    household, _, _ = family
    client = signed_in_client(patient_ann.user)
    assert client.get(BASE).status_code == 404
    assert client.get(f"{BASE}/{household.id}").status_code == 404
    assert (
        send(client, "post", BASE, {"name": "Mine", "head_id": patient_ann.id}).status_code == 404
    )
    assert send(client, "patch", f"{BASE}/{household.id}", {"name": "Mine"}).status_code == 404
    assert Household.objects.get(id=household.id).name == "Ito family"


def test_a_missing_household_is_404(provider):
    assert signed_in_client(provider).get(f"{BASE}/999999").status_code == 404
