"""Protocol pages: care staff read them; admins create a protocol and add activities, and a
bad name or timing is named beside its field with nothing written."""

import pytest
from django.urls import reverse

from careloop.care.models import Activity, Protocol
from careloop.memberships.tests.lifecycle_builders import make_plan
from careloop.testing.clients import signed_in_client
from careloop.web.staff.care.tests.builders import care_world

pytestmark = pytest.mark.django_db

MONTHLY_LABS = {
    "kind": "lab_order",
    "role": "provider",
    "repeat": "every",
    "every": "3",
    "unit": "months",
    "anchor": "previous_due",
    "days_before": "7",
    "days_after": "14",
    "instructions": "Fasting lipid panel.",
}


def test_the_list_and_detail_show_the_protocol_and_its_activities(admin, provider, patient_ann):
    world = care_world(admin, patient_ann)
    client = signed_in_client(provider)
    listing = client.get(reverse("staff:care_protocol_list")).content.decode()
    assert "Metabolic health" in listing
    assert "None (applied by hand)" in listing
    assert reverse("staff:care_protocol_create") not in listing  # admins design protocols
    page = client.get(reverse("staff:care_protocol_detail", args=[world.protocol.pk]))
    text = page.content.decode()
    assert "Check-in visit" in text
    assert "Every month" in text
    assert "Every 2 weeks" in text
    assert "Review the food diary." in text


def test_the_front_desk_reads_protocols_without_instructions(admin, front_desk, patient_ann):
    world = care_world(admin, patient_ann)
    url = reverse("staff:care_protocol_detail", args=[world.protocol.pk])
    page = signed_in_client(front_desk).get(url).content.decode()
    assert "Check-in visit" in page
    assert "food diary" not in page


def test_an_admin_creates_a_protocol_carried_by_a_plan(admin):
    plan = make_plan(code="active-care", rank=2)
    response = signed_in_client(admin).post(
        reverse("staff:care_protocol_create"),
        {"name": "Weight care", "description": "Monthly", "plans": [str(plan.pk)]},
    )
    protocol = Protocol.objects.get(name="Weight care")
    assert response["Location"] == reverse("staff:care_protocol_detail", args=[protocol.pk])
    assert list(protocol.plans.all()) == [plan]


def test_a_protocol_without_a_name_is_named_and_nothing_is_created(admin):
    response = signed_in_client(admin).post(reverse("staff:care_protocol_create"), {"name": " "})
    assert response.status_code == 422
    assert "Name: Give the protocol a name." in response.content.decode()
    assert not Protocol.objects.exists()


def test_only_admins_create_protocols_or_add_activities(admin, provider, coach, patient_ann):
    world = care_world(admin, patient_ann)
    for person in (provider, coach):
        client = signed_in_client(person)
        assert client.post(reverse("staff:care_protocol_create"), {"name": "X"}).status_code == 403
        add = reverse("staff:care_protocol_activity_add", args=[world.protocol.pk])
        assert client.post(add, MONTHLY_LABS).status_code == 403
    assert Protocol.objects.count() == 1
    assert world.protocol.activities.count() == 2


def test_an_admin_adds_an_activity_to_a_protocol(admin, patient_ann):
    world = care_world(admin, patient_ann)
    url = reverse("staff:care_protocol_activity_add", args=[world.protocol.pk])
    response = signed_in_client(admin).post(url, MONTHLY_LABS)
    assert response.status_code == 302
    added = world.protocol.activities.get(kind="lab_order")
    assert (added.every, added.unit, added.instructions) == (3, "months", "Fasting lipid panel.")
    assert world.plan.activities.filter(kind="lab_order").count() == 0  # the plan keeps its copy


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"every": "0"}, "Every (N): "),
        ({"unit": ""}, "Unit: "),
        ({"repeat": "calendar", "calendar_months": "", "every": ""}, "Calendar months: "),
        ({"days_before": "400"}, "Window: days before: "),
        ({"kind": ""}, "Kind: Choose one of: "),
    ],
)
def test_a_bad_activity_is_named_beside_its_field_and_nothing_is_added(
    admin, patient_ann, change, message
):
    world = care_world(admin, patient_ann)
    url = reverse("staff:care_protocol_activity_add", args=[world.protocol.pk])
    response = signed_in_client(admin).post(url, MONTHLY_LABS | change)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert "Nothing was changed." in response.content.decode()
    assert Activity.objects.filter(protocol=world.protocol).count() == 2
