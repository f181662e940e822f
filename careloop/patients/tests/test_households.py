import pytest

from careloop.audit.models import AuditEvent
from careloop.core.errors import ValidationFailed
from careloop.patients.models import Household, Patient
from careloop.patients.services import (
    household_add_member,
    household_create,
    household_remove_member,
    household_set_head,
    household_update,
)
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


def codes(error):
    return {item.field: item.code for item in error.errors}


@pytest.fixture
def family(front_desk):
    head = make_patient(given="Hana", family="Ito")
    household = household_create(actor=front_desk, name="Ito family", head=head)
    child = make_patient(given="Ken", family="Ito")
    household_add_member(actor=front_desk, household=household, patient=child)
    return household, head, child


def test_creating_a_household_makes_the_head_its_first_member(front_desk):
    head = make_patient(given="Hana", family="Ito")
    household = household_create(actor=front_desk, name=" Ito family ", head=head)
    head.refresh_from_db()
    assert (household.name, household.head, head.household) == ("Ito family", head, household)
    event = AuditEvent.objects.get(action="household.create")
    assert (event.patient_id, event.object_id) == (head.id, str(household.id))


def test_a_household_needs_a_name(front_desk):
    head = make_patient()
    with pytest.raises(ValidationFailed) as raised:
        household_create(actor=front_desk, name="  ", head=head)
    assert codes(raised.value) == {"name": "required"}
    assert not Household.objects.exists()


def test_a_patient_belongs_to_one_household_at_a_time(front_desk, family):
    household, _, child = family
    other = household_create(actor=front_desk, name="Other", head=make_patient())
    with pytest.raises(ValidationFailed) as raised:
        household_add_member(actor=front_desk, household=other, patient=child)
    assert codes(raised.value) == {"patient": "in_another_household"}
    assert Patient.objects.get(id=child.id).household_id == household.id


def test_a_member_of_another_household_cannot_head_a_new_one(front_desk, family):
    _, _, child = family
    with pytest.raises(ValidationFailed) as raised:
        household_create(actor=front_desk, name="New", head=child)
    assert codes(raised.value) == {"head": "in_another_household"}
    assert Household.objects.count() == 1


def test_the_head_must_be_a_member(front_desk, family):
    household, head, _ = family
    outsider = make_patient()
    with pytest.raises(ValidationFailed) as raised:
        household_set_head(actor=front_desk, household=household, patient=outsider)
    assert codes(raised.value) == {"head": "not_member"}
    assert Household.objects.get(id=household.id).head_id == head.id


def test_removing_the_head_requires_a_new_head_first(front_desk, family):
    household, head, child = family
    with pytest.raises(ValidationFailed) as raised:
        household_remove_member(actor=front_desk, household=household, patient=head)
    assert codes(raised.value) == {"patient": "head_cannot_leave"}
    assert Patient.objects.get(id=head.id).household_id == household.id

    household_set_head(actor=front_desk, household=household, patient=child)
    household_remove_member(actor=front_desk, household=household, patient=head)
    assert Patient.objects.get(id=head.id).household_id is None
    assert Household.objects.get(id=household.id).head_id == child.id


def test_each_membership_change_is_audited_against_the_patient(front_desk, family):
    household, head, child = family
    household_set_head(actor=front_desk, household=household, patient=child)
    household_remove_member(actor=front_desk, household=household, patient=head)
    rows = list(
        AuditEvent.objects.filter(action__startswith="household.").values_list(
            "action", "patient_id"
        )
    )
    assert rows == [
        ("household.create", head.id),
        ("household.member_add", child.id),
        ("household.head_change", child.id),
        ("household.member_remove", head.id),
    ]


def test_an_update_sets_name_head_and_members_together(front_desk, family):
    household, _, child = family
    newcomer = make_patient(given="Yui", family="Ito")
    household_update(
        actor=front_desk,
        household=household,
        name="The Itos",
        head=child,
        members=[child, newcomer],
    )
    household.refresh_from_db()
    assert (household.name, household.head_id) == ("The Itos", child.id)
    assert set(Patient.objects.filter(household=household)) == {child, newcomer}


def test_an_update_that_drops_the_head_changes_nothing(front_desk, family):
    household, head, child = family
    newcomer = make_patient()
    with pytest.raises(ValidationFailed) as raised:
        household_update(
            actor=front_desk, household=household, name="Renamed", members=[child, newcomer]
        )
    assert codes(raised.value) == {"members": "head_not_member"}
    household.refresh_from_db()
    assert household.name == "Ito family"
    assert set(Patient.objects.filter(household=household)) == {head, child}
    assert Patient.objects.get(id=newcomer.id).household_id is None
