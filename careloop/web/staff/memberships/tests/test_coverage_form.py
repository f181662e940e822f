from datetime import date

import pytest
from django.urls import reverse

from careloop.memberships.models import Service
from careloop.memberships.services.entitlements import entitlement_consume
from careloop.testing.factories import make_patient
from careloop.web.staff.memberships.tests.builders import (
    chart_page,
    client_for,
    enrolled_household,
)

pytestmark = pytest.mark.django_db


def ask(user, patient, service, on="2026-01-20", htmx=True):
    headers = {"HX-Request": "true"} if htmx else {}
    return client_for(user).get(
        reverse("staff:membership_coverage", args=[patient.id]),
        {"service": service.id if service else "", "on": on},
        headers=headers,
    )


def test_the_chart_offers_the_form_with_active_services_and_today(front_desk, provider):
    enrolled = enrolled_household(front_desk)
    Service.objects.create(
        code="retired-thing", name="Retired thing", kind="other", a_la_carte_price=1, active=False
    )
    page = chart_page(provider, enrolled.head)
    assert "Is this covered?" in page
    assert ">Provider visit</option>" in page
    assert "Retired thing" not in page
    assert 'value="2026-01-15"' in page


def test_a_member_with_uses_left_is_covered_from_the_allowance(front_desk, provider):
    enrolled = enrolled_household(front_desk)
    visit = Service.objects.get(code="provider-visit")
    response = ask(provider, enrolled.partner, visit)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body  # the htmx answer is a fragment
    assert "Covered" in body
    assert "1 left after this one" in body
    assert "Active Care includes 2 provider visits a month" in body


def test_a_member_who_used_the_allowance_pays_the_member_price(front_desk, provider):
    enrolled = enrolled_household(front_desk)
    visit = Service.objects.get(code="provider-visit")
    for number in (1, 2):
        entitlement_consume(
            actor=front_desk,
            patient=enrolled.child,
            service=visit,
            on=date(2026, 1, 16),
            source_type="appointment",
            source_id=f"visit-{number}",
        )
    body = ask(provider, enrolled.child, visit).content.decode()
    assert "Member price: $150.00" in body
    assert "all used or held" in body


def test_a_service_the_plan_does_not_include_is_not_covered_at_the_a_la_carte_price(
    front_desk, provider
):
    enrolled = enrolled_household(front_desk)
    iv = Service.objects.create(
        code="iv", name="IV therapy", kind="iv_therapy", a_la_carte_price=22_500
    )
    body = ask(provider, enrolled.head, iv).content.decode()
    assert "Not covered: $225.00 a la carte" in body
    assert "Active Care does not include IV therapy" in body


def test_someone_who_is_not_a_member_is_told_so_without_script_too(front_desk, provider):
    enrolled_household(front_desk)
    visit = Service.objects.get(code="provider-visit")
    stranger = make_patient(given="Sol", family="Stone")
    response = ask(provider, stranger, visit, htmx=False)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" in body  # the plain form gets the whole page
    assert "Not a member: $150.00 a la carte" in body
    assert "Sol Stone is not a member on Jan 20" in body


def test_a_missing_service_is_an_error_naming_the_field(front_desk, provider):
    enrolled = enrolled_household(front_desk)
    response = ask(provider, enrolled.head, None, htmx=False)
    assert response.status_code == 422
    assert "Choose a service." in response.content.decode()
    htmx = ask(provider, enrolled.head, None)
    assert htmx.status_code == 200
    assert "Choose a service." in htmx.content.decode()
