import pytest
from django.urls import reverse

from careloop.memberships.models import Benefit, Plan, PlanPrice, Service
from careloop.memberships.services.catalog import benefit_set, plan_price_set, plan_update
from careloop.memberships.tests.catalog_builders import a_membership, a_plan, a_service
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def active_care(admin):
    plan = a_plan(
        admin, "active-care", price=19900, messaging_enabled=True, response_target_business_hours=8
    )
    visit = a_service(admin, "provider-visit", a_la_carte_price=15000)
    benefit_set(
        actor=admin, plan=plan, service_id=visit.id, allowance=2, member_discount_percent=20
    )
    plan_update(actor=admin, plan=plan, status="active")
    return plan


def test_front_desk_sees_plans_prices_and_benefits_read_only(front_desk, active_care):
    client = signed_in_client(front_desk)
    listing = client.get(reverse("staff:catalog_plan_list")).content.decode()
    assert "Active Care" in listing
    assert "$199.00" in listing
    assert "Design a plan" not in listing
    page = client.get(reverse("staff:catalog_plan_detail", args=[active_care.id])).content.decode()
    assert "Provider visit" in page
    assert "2 per month" in page
    assert "$120.00" in page
    assert "Edit terms" not in page
    assert "reply within 8 business hours" in page


def test_the_nav_shows_plans_to_every_staff_role(billing):
    page = signed_in_client(billing).get(reverse("staff:patient_search")).content.decode()
    assert f'href="{reverse("staff:catalog_plan_list")}"' in page


def test_an_admin_designs_a_plan_in_dollars(admin):
    client = signed_in_client(admin)
    response = client.post(
        reverse("staff:catalog_plan_create"),
        {
            "code": "concierge",
            "name": "Concierge",
            "kind": "tier",
            "enrollment_fee": "1,250.50",
            "messaging_enabled": "on",
            "response_target_business_hours": "4",
            "messaging_priority": "urgent",
        },
    )
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert (plan.enrollment_fee, plan.status, plan.response_target_business_hours) == (
        125050,
        "draft",
        4,
    )


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("12.345", "has a fraction of a cent"),
        ("-5", "cannot be negative"),
        ("abc", "is not an amount in dollars and cents"),
    ],
)
def test_a_bad_amount_is_shown_beside_its_field_and_nothing_is_saved(admin, typed, message):
    response = signed_in_client(admin).post(
        reverse("staff:catalog_service_create"),
        {"code": "lab-panel", "name": "Lab panel", "kind": "lab_panel", "a_la_carte_price": typed},
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert "A-la-carte price" in response.content.decode()
    assert not Service.objects.exists()


def test_changing_a_price_with_members_makes_a_version_and_shows_history(
    admin, active_care, patient_ann
):
    a_membership(active_care, patient_ann)
    client = signed_in_client(admin)
    url = reverse("staff:catalog_price_set", args=[active_care.id, "monthly"])
    assert "creates a new price version" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "amount": "209.00",
            "additional_adult_amount": "150",
            "child_amount": "",
            "child_age_limit": "18",
        },
    )
    assert response.status_code == 302
    assert list(
        PlanPrice.objects.filter(plan=active_care)
        .values_list("version", "amount")
        .order_by("version")
    ) == [(1, 19900), (2, 20900)]
    page = client.get(reverse("staff:catalog_plan_detail", args=[active_care.id])).content.decode()
    assert "price history (2 versions)" in page
    assert "$209.00" in page


def test_a_benefit_is_added_edited_and_removed(admin, active_care):
    lab = a_service(admin, "lab-panel", kind="lab_panel", a_la_carte_price=9000)
    client = signed_in_client(admin)
    response = client.post(
        reverse("staff:catalog_benefit_add", args=[active_care.id]),
        {
            "service_id": lab.id,
            "allowance": "1",
            "allowance_period": "quarter",
            "rollover": "up_to",
            "rollover_cap": "",
            "member_price": "",
        },
    )
    assert response.status_code == 422
    assert "Rollover up to a cap needs the cap" in response.content.decode()
    client.post(
        reverse("staff:catalog_benefit_add", args=[active_care.id]),
        {
            "service_id": lab.id,
            "allowance": "1",
            "allowance_period": "quarter",
            "rollover": "none",
            "member_price": "45.00",
        },
    )
    assert Benefit.objects.get(service=lab).member_price == 4500
    client.post(
        reverse("staff:catalog_benefit_edit", args=[active_care.id, lab.id]),
        {"unlimited": "on", "allowance_period": "month", "rollover": "none"},
    )
    assert Benefit.objects.get(service=lab).allowance is None
    client.post(reverse("staff:catalog_benefit_remove", args=[active_care.id, lab.id]))
    assert not Benefit.objects.filter(service=lab).exists()


def test_status_buttons_move_a_plan_and_refusals_are_shown(admin):
    plan = a_plan(admin, "essentials", price=None)
    client = signed_in_client(admin)
    response = client.post(
        reverse("staff:catalog_plan_status", args=[plan.id]), {"status": "active"}, follow=True
    )
    assert "Set a price for at least one billing interval" in response.content.decode()
    plan_price_set(actor=admin, plan=plan, interval="monthly", amount=9900)
    client.post(reverse("staff:catalog_plan_status", args=[plan.id]), {"status": "active"})
    assert Plan.objects.get(id=plan.id).status == "active"


def test_a_draft_is_deleted_from_its_page(admin):
    plan = a_plan(admin, "essentials")
    response = signed_in_client(admin).post(reverse("staff:catalog_plan_delete", args=[plan.id]))
    assert response.status_code == 302
    assert not Plan.objects.exists()


def test_front_desk_cannot_post_a_price_and_nothing_changes(front_desk, active_care):
    response = signed_in_client(front_desk).post(
        reverse("staff:catalog_price_set", args=[active_care.id, "monthly"]), {"amount": "1.00"}
    )
    assert response.status_code == 403
    assert list(PlanPrice.objects.values_list("amount", flat=True)) == [19900]
