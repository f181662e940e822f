import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.patients.models import Household, Patient
from careloop.patients.services import household_add_member, household_create
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(front_desk):
    head = make_patient(given="Hana", family="Ito")
    child = make_patient(given="Ken", family="Ito")
    household = household_create(actor=front_desk, name="Ito family", head=head)
    household_add_member(actor=front_desk, household=household, patient=child)
    return household, head, child


def test_the_household_list_shows_name_head_and_member_count(front_desk, family):
    _, head, _ = family
    response = signed_in_client(front_desk).get("/staff/patients/households/")
    page = response.content.decode()
    assert reverse("staff:household_list") == "/staff/patients/households/"
    assert "Ito family" in page
    assert head.display_name in page
    assert "<td>2</td>" in page


def test_the_detail_page_lists_members_and_audits_each_one(provider, family):
    household, head, child = family
    page = (
        signed_in_client(provider)
        .get(reverse("staff:household_detail", args=[household.id]))
        .content.decode()
    )
    assert "Hana Ito" in page
    assert "Ken Ito" in page
    assert "Make head" not in page
    viewed = set(
        AuditEvent.objects.filter(action="household.view").values_list("patient_id", flat=True)
    )
    assert viewed == {head.id, child.id}


def test_creating_a_household_from_a_chart_link(front_desk):
    head = make_patient(given="Rosa", family="Silva")
    client = signed_in_client(front_desk)
    page = client.get(reverse("staff:household_create"), {"head": head.id}).content.decode()
    assert "Rosa Silva" in page
    assert 'value="Silva household"' in page
    response = client.post(
        reverse("staff:household_create"), {"name": "Silva family", "head": head.id}
    )
    household = Household.objects.get()
    assert response.status_code == 302
    assert (household.name, household.head) == ("Silva family", head)


def test_the_head_can_be_found_by_search_when_creating(front_desk):
    make_patient(given="Rosa", family="Silva")
    page = (
        signed_in_client(front_desk)
        .get(reverse("staff:household_create"), {"q": "silva"})
        .content.decode()
    )
    assert "Rosa Silva" in page
    assert "?head=" in page


def test_a_blank_household_name_is_shown_beside_the_field(front_desk):
    head = make_patient()
    response = signed_in_client(front_desk).post(
        reverse("staff:household_create"), {"name": " ", "head": head.id}
    )
    assert response.status_code == 422
    assert "Household name is required." in response.content.decode()
    assert not Household.objects.exists()


def test_adding_a_member_found_by_search(front_desk, family):
    household, _, _ = family
    newcomer = make_patient(given="Yui", family="Tanaka")
    client = signed_in_client(front_desk)
    candidates = client.get(
        reverse("staff:household_member_candidates", args=[household.id]), {"q": "yui"}
    ).content.decode()
    assert "Add Yui Tanaka to Ito family" in candidates
    client.post(
        reverse("staff:household_add_member", args=[household.id]), {"patient": newcomer.id}
    )
    assert Patient.objects.get(id=newcomer.id).household_id == household.id


def test_removing_the_head_is_refused_with_an_explanation(front_desk, family):
    household, head, _ = family
    response = signed_in_client(front_desk).post(
        reverse("staff:household_remove_member", args=[household.id, head.id]), follow=True
    )
    assert "make another member the head first" in response.content.decode()
    assert Patient.objects.get(id=head.id).household_id == household.id


def test_making_another_member_head_then_removing_the_old_head(front_desk, family):
    household, head, child = family
    client = signed_in_client(front_desk)
    client.post(reverse("staff:household_set_head", args=[household.id, child.id]))
    client.post(reverse("staff:household_remove_member", args=[household.id, head.id]))
    household.refresh_from_db()
    assert household.head_id == child.id
    assert Patient.objects.get(id=head.id).household_id is None


def test_a_redirect_back_goes_only_to_this_site(front_desk, family):
    household, _, child = family
    response = signed_in_client(front_desk).post(
        reverse("staff:household_set_head", args=[household.id, child.id]),
        {"next": "https://elsewhere.invalid/"},
    )
    assert response["Location"] == reverse("staff:household_detail", args=[household.id])


@pytest.mark.parametrize("role", ["provider", "coach", "billing"])
def test_roles_without_household_rights_cannot_change_one(request, role, family):
    household, head, child = family
    user = request.getfixturevalue(role)
    response = signed_in_client(user).post(
        reverse("staff:household_set_head", args=[household.id, child.id])
    )
    assert response.status_code == 403
    assert Household.objects.get(id=household.id).head_id == head.id
