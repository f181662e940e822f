from datetime import date

import pytest

from careloop.api.tests.sending import send
from careloop.memberships.models import Membership, MembershipMember, StatusChange
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    give_visits,
    make_plan,
    snapshot,
)
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(admin):
    freeze_on(date(2026, 1, 1))
    plan = make_plan(code="active-care", rank=2, name="Active Care")
    give_visits(plan, per_month=2)
    return plan


def _household_body(plan, head, partner, child, **changes):
    return {
        "plan_id": plan.id,
        "interval": "monthly",
        "payer_patient_id": head.id,
        "members": [
            {"patient_id": head.id, "role": "primary"},
            {"patient_id": partner.id, "role": "adult"},
            {"patient_id": child.id, "role": "child"},
        ],
        "start_date": "2026-01-01",
        "payment_method_on_file": True,
    } | changes


def test_front_desk_enrolls_a_household_and_gets_the_membership_with_its_allowances(
    front_desk, plan
):
    head, partner, child = family()
    response = send(
        signed_in_client(front_desk),
        "POST",
        "/api/v1/memberships",
        _household_body(plan, head, partner, child),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "active"
    assert body["plan_name"] == "Active Care"
    assert [(m["patient_id"], m["role"]) for m in body["members"]] == [
        (head.id, "primary"),
        (partner.id, "adult"),
        (child.id, "child"),
    ]
    assert body["current_period"] == {"start": "2026-01-01", "end": "2026-02-01"}
    assert body["next_renewal"] == "2026-02-01"
    # 100.00 for the primary, half for the adult, a quarter for the child.
    assert body["period_amount"] == 10_000 + 5_000 + 2_500
    balances = body["benefits"][0]["balances"]
    assert [(b["patient_id"], b["available"]) for b in balances] == [
        (head.id, 2),
        (partner.id, 2),
        (child.id, 2),
    ]
    assert Membership.objects.get(pk=body["id"]).payer_patient_id == head.id


def test_without_a_payment_method_the_membership_is_pending(front_desk, plan):
    head, partner, child = family()
    response = send(
        signed_in_client(front_desk),
        "POST",
        "/api/v1/memberships",
        _household_body(plan, head, partner, child, payment_method_on_file=False),
    )
    assert response.json()["status"] == "pending"
    assert "nothing is covered" in response.json()["warning"]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"plan_id": 987654}, "plan_id", "unknown_plan"),
        ({"interval": "weekly"}, "interval", "enum"),
        ({"start_date": "1970-01-01"}, "start_date", "before_birth"),
        ({"payer_patient_id": 987654}, "payer_patient_id", "not_found"),
        ({"sponsor_id": 987654}, "sponsor_id", "not_found"),
        ({"members": []}, "members", "required"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_nothing_changes(admin, plan, changes, field, code):
    head, partner, child = family()
    before = snapshot()
    response = send(
        signed_in_client(admin),
        "POST",
        "/api/v1/memberships",
        _household_body(plan, head, partner, child, **changes),
    )
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert (field, code) in [(e["field"], e["code"]) for e in errors], errors
    after = snapshot()
    assert {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }


def test_a_child_over_the_age_limit_is_refused_by_name(front_desk, plan):
    head, partner, child = family()
    response = send(
        signed_in_client(front_desk),
        "POST",
        "/api/v1/memberships",
        _household_body(
            plan,
            head,
            partner,
            child,
            members=[
                {"patient_id": head.id, "role": "primary"},
                {"patient_id": partner.id, "role": "child"},
            ],
        ),
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "members"
    assert "Felix Fairbanks" in error["message"]
    assert "age limit" in error["message"]


def test_enrolling_a_patient_already_covered_is_a_409_naming_the_other_membership(
    front_desk, admin, plan
):
    head, partner, child = family()
    existing = enroll(admin, plan, head)
    members_before = MembershipMember.objects.count()
    response = send(
        signed_in_client(front_desk),
        "POST",
        "/api/v1/memberships",
        _household_body(plan, head, partner, child),
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "already_covered"
    assert f"membership #{existing.id}" in body["detail"]
    assert [e["field"] for e in body["errors"]] == ["members"]
    assert MembershipMember.objects.count() == members_before


def test_front_desk_cannot_backdate_an_enrollment_but_an_admin_can(front_desk, admin, plan):
    head, partner, child = family()
    body = _household_body(plan, head, partner, child, start_date="2025-12-15")
    refused = send(signed_in_client(front_desk), "POST", "/api/v1/memberships", body)
    assert refused.status_code == 403
    assert refused.json()["code"] == "backdating_not_allowed"
    assert not Membership.objects.exists()
    allowed = send(signed_in_client(admin), "POST", "/api/v1/memberships", body)
    assert allowed.status_code == 201
    assert StatusChange.objects.get().reason == "Backdated enrollment"


@pytest.mark.parametrize("who", ["provider", "billing", "patient"])
def test_only_roles_that_enroll_may_enroll(request, plan, patient_ann, who):
    actor = patient_ann.user if who == "patient" else request.getfixturevalue(who)
    head, partner, child = family()
    response = send(
        signed_in_client(actor),
        "POST",
        "/api/v1/memberships",
        _household_body(plan, head, partner, child),
    )
    assert response.status_code == (404 if who == "patient" else 403)
    assert not Membership.objects.exists()
