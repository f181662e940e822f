import json
from datetime import date

import pytest

from careloop.memberships.models import Benefit, Plan, PlanPrice, RosterEntry, Service, Sponsor
from careloop.memberships.services.catalog import benefit_set, plan_update
from careloop.memberships.services.sponsors import roster_add, sponsor_create
from careloop.memberships.tests.catalog_builders import a_membership, a_plan, a_service
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def _send(client, method, url, body=None):
    if body is None:
        return client.generic(method, url)
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def test_an_admin_builds_a_plan_through_the_api(admin):
    client = signed_in_client(admin)
    service = _send(
        client,
        "POST",
        "/api/v1/services",
        {
            "code": "provider-visit",
            "name": "Provider visit",
            "kind": "provider_visit",
            "a_la_carte_price": 15000,
        },
    ).json()
    plan = _send(
        client,
        "POST",
        "/api/v1/plans",
        {
            "code": "essentials",
            "name": "Essentials",
            "messaging_enabled": True,
            "response_target_business_hours": 16,
        },
    )
    assert plan.status_code == 201
    plan_id = plan.json()["id"]
    price = _send(client, "PUT", f"/api/v1/plans/{plan_id}/prices/monthly", {"amount": 9900})
    assert price.json()["version"] == 1
    benefit = _send(
        client,
        "PUT",
        f"/api/v1/plans/{plan_id}/benefits/{service['id']}",
        {
            "allowance": 1,
            "member_discount_percent": 10,
        },
    )
    assert benefit.json()["beyond_allowance_price"] == 13500
    active = _send(client, "PATCH", f"/api/v1/plans/{plan_id}", {"status": "active"})
    body = active.json()
    assert (body["status"], body["prices"][0]["amount"], body["benefits"][0]["allowance"]) == (
        "active",
        9900,
        1,
    )


def test_a_price_change_with_members_returns_the_next_version(admin, patient_ann):
    plan = a_plan(admin, price=9900)
    plan_update(actor=admin, plan=plan, status="active")
    a_membership(plan, patient_ann)
    client = signed_in_client(admin)
    response = _send(client, "PUT", f"/api/v1/plans/{plan.id}/prices/monthly", {"amount": 10900})
    assert response.json()["version"] == 2
    history = _send(client, "GET", f"/api/v1/plans/{plan.id}/prices").json()
    assert [(p["version"], p["current"]) for p in history] == [(2, True), (1, False)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": -1}, "amount"),
        ({"amount": 99.5}, "amount"),
        ({"amount": 100, "child_amount": -3}, "child_amount"),
    ],
)
def test_bad_prices_are_problems_naming_the_field(admin, body, field):
    plan = a_plan(admin, price=9900)
    response = _send(
        signed_in_client(admin), "PUT", f"/api/v1/plans/{plan.id}/prices/monthly", body
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]
    assert list(PlanPrice.objects.values_list("amount", flat=True)) == [9900]


def test_an_unknown_service_or_interval_is_refused(admin):
    plan = a_plan(admin)
    client = signed_in_client(admin)
    response = _send(client, "PUT", f"/api/v1/plans/{plan.id}/benefits/987654", {"allowance": 1})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "service"
    weekly = _send(client, "PUT", f"/api/v1/plans/{plan.id}/prices/weekly", {"amount": 100})
    assert weekly.status_code == 422
    assert not Benefit.objects.exists()


def test_rollover_rules_come_back_per_field(admin):
    plan, visit = a_plan(admin), a_service(admin)
    response = _send(
        signed_in_client(admin),
        "PUT",
        f"/api/v1/plans/{plan.id}/benefits/{visit.id}",
        {
            "allowance": 2,
            "rollover": "expiring",
        },
    )
    assert response.json()["errors"][0]["field"] == "rollover_expires_after_periods"


def test_a_benefit_is_removed(admin):
    plan, visit = a_plan(admin), a_service(admin)
    benefit_set(actor=admin, plan=plan, service_id=visit.id, allowance=1)
    client = signed_in_client(admin)
    assert (
        _send(client, "DELETE", f"/api/v1/plans/{plan.id}/benefits/{visit.id}").status_code == 204
    )
    assert (
        _send(client, "DELETE", f"/api/v1/plans/{plan.id}/benefits/{visit.id}").status_code == 404
    )


def test_front_desk_reads_the_catalog_but_cannot_change_it(front_desk, admin):
    plan = a_plan(admin)
    client = signed_in_client(front_desk)
    assert [p["name"] for p in _send(client, "GET", "/api/v1/plans").json()] == ["Essentials"]
    response = _send(client, "PATCH", f"/api/v1/plans/{plan.id}", {"name": "Changed"})
    assert response.status_code == 403
    assert Plan.objects.get().name == "Essentials"
    assert (
        _send(
            client,
            "POST",
            "/api/v1/services",
            {"code": "x", "name": "X", "kind": "other", "a_la_carte_price": 1},
        ).status_code
        == 403
    )
    assert not Service.objects.exists()


def test_a_patient_is_told_the_catalog_is_not_there(patient_ann, admin):
    a_plan(admin)
    response = _send(signed_in_client(patient_ann.user), "GET", "/api/v1/plans")
    assert response.status_code == 404


def test_billing_manages_a_sponsor_and_its_roster(billing, patient_ann):
    client = signed_in_client(billing)
    created = _send(
        client,
        "POST",
        "/api/v1/sponsors",
        {"name": "Acme", "share": "fixed", "fixed_share_amount": 5000},
    )
    sponsor_id = created.json()["id"]
    assert created.status_code == 201
    entry = _send(
        client,
        "POST",
        f"/api/v1/sponsors/{sponsor_id}/roster",
        {"patient_id": patient_ann.id, "effective_on": "2025-01-01"},
    )
    assert entry.status_code == 201
    entry_id = entry.json()["id"]
    ended = _send(
        client,
        "POST",
        f"/api/v1/sponsors/{sponsor_id}/roster/{entry_id}/terminate",
        {"terminated_on": "2025-04-01"},
    )
    assert ended.json()["terminated_on"] == "2025-04-01"
    roster = _send(client, "GET", f"/api/v1/sponsors/{sponsor_id}/roster").json()
    assert [(r["patient_id"], r["terminated_on"]) for r in roster] == [
        (patient_ann.id, "2025-04-01")
    ]


def test_a_share_rule_breach_and_an_unknown_patient_are_named(billing):
    client = signed_in_client(billing)
    response = _send(client, "POST", "/api/v1/sponsors", {"name": "Acme", "share": "fixed"})
    assert response.json()["errors"][0]["field"] == "fixed_share_amount"
    assert not Sponsor.objects.exists()
    sponsor = sponsor_create(actor=billing, name="Acme")
    response = _send(
        client,
        "POST",
        f"/api/v1/sponsors/{sponsor.id}/roster",
        {"patient_id": 987654, "effective_on": "2025-01-01"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "patient_id"


def test_front_desk_cannot_terminate_a_roster_entry(front_desk, billing, patient_ann):
    sponsor = sponsor_create(actor=billing, name="Acme")
    entry = roster_add(
        actor=billing, sponsor=sponsor, patient=patient_ann, effective_on=date(2025, 1, 1)
    )
    response = _send(
        signed_in_client(front_desk),
        "POST",
        f"/api/v1/sponsors/{sponsor.id}/roster/{entry.id}/terminate",
        {"terminated_on": "2025-04-01"},
    )
    assert response.status_code == 403
    assert RosterEntry.objects.get().terminated_on is None


def test_every_catalog_operation_names_its_capability():
    from careloop.api.api import api

    schema = api.get_openapi_schema()
    for path, entries in schema["paths"].items():
        if path.startswith(("/api/v1/plans", "/api/v1/services", "/api/v1/sponsors")):
            for operation in entries.values():
                assert operation["x-careloop-capability"] in {
                    "catalog.view",
                    "catalog.manage",
                    "sponsor.manage",
                }
