"""Discount codes through the API: create, list, deactivate, redeem on a membership."""

from datetime import date

import pytest

from careloop.api.tests.billing_builders import billed_membership, billing_state, problem
from careloop.api.tests.sending import send
from careloop.billing.models import Discount, DiscountRedemption, Invoice
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.builders import lines
from careloop.memberships.tests.lifecycle_builders import freeze_on, make_plan
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/billing/discounts"


@pytest.fixture
def plans(admin):
    freeze_on(date(2026, 1, 1))
    return (
        make_plan(code="essentials", rank=1, monthly=10_000),
        make_plan(code="concierge", rank=3, monthly=30_000),
    )


@pytest.fixture
def billed(admin, plans):
    return billed_membership(admin, plans[0])


def _create(actor, **fields):
    body = {"name": "Spring offer", "kind": "percent", "percent_off": 20, "duration": "once"}
    return send(signed_in_client(actor), "POST", URL, {**body, **fields})


def _redeem(actor, membership, code):
    return send(
        signed_in_client(actor),
        "POST",
        f"/api/v1/billing/memberships/{membership.id}/discounts",
        {"code": code},
    )


def test_a_code_is_created_in_capitals_and_listed(billing, plans):
    response = _create(
        billing,
        code="spring-26",
        duration="periods",
        periods=3,
        expires_on="2026-03-31",
        max_redemptions=50,
        plan_ids=[plans[0].id],
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["percent_off"], body["periods"], body["active"]) == (
        "SPRING-26",
        20,
        3,
        True,
    )
    assert (body["plan_ids"], body["redemptions"], body["amount_off"]) == ([plans[0].id], 0, None)
    listed = send(signed_in_client(billing), "GET", f"{URL}?code=spring-26").json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"code": "HALF", "percent_off": 120}, "percent_off", "out_of_range"),
        ({"code": "TENOFF", "kind": "amount", "amount_off": -1000}, "amount_off", "out_of_range"),
        ({"code": "PAST", "expires_on": "2025-12-31"}, "expires_on", "in_past"),
        ({"code": "NOPE!"}, "code", "invalid"),
        ({"code": "LONG", "duration": "periods"}, "periods", "out_of_range"),
        ({"code": "PLANLESS", "plan_ids": [999_999]}, "plan_ids", "not_found"),
        ({"code": "ODD", "kind": "bogus"}, "kind", "enum"),
    ],
)
def test_a_code_that_breaks_a_rule_is_a_422_naming_the_field(billing, plans, fields, field, code):
    before = billing_state()

    problem(_create(billing, **fields), 422, field, code)

    assert billing_state() == before


def test_a_code_already_in_use_is_refused(billing, plans):
    _create(billing, code="WELCOME")
    before = billing_state()

    problem(_create(billing, code="welcome"), 422, "code", "duplicate")

    assert billing_state() == before


def test_a_redeemed_code_discounts_the_next_period_invoice(billing, billed):
    _create(billing, code="WELCOME")

    response = _redeem(billing, billed.membership, "welcome")

    assert response.status_code == 201, response.content
    assert response.json()["discount"]["code"] == "WELCOME"
    assert response.json()["discount"]["redemptions"] == 1
    billing_run(as_of=date(2026, 2, 1))
    renewal = Invoice.objects.get(membership=billed.membership, kind="renewal")
    assert lines(renewal) == [("period", 10_000), ("discount", -2_000)]


def test_an_unknown_or_expired_code_is_a_422_naming_code_and_redeems_nothing(billing, billed):
    _create(billing, code="JANUARY", expires_on="2026-01-31")
    freeze_on(date(2026, 2, 1))
    before = billing_state()

    unknown = problem(_redeem(billing, billed.membership, "NOSUCH"), 422, "code", "unknown")
    expired = problem(_redeem(billing, billed.membership, "january"), 422, "code", "expired")

    assert unknown["errors"][0]["message"] == "There is no discount code NOSUCH."
    assert expired["errors"][0]["message"] == "The code JANUARY expired on Jan 31, 2026."
    assert billing_state() == before


def test_a_deactivated_code_can_no_longer_be_redeemed(billing, billed):
    discount_id = _create(billing, code="GONE").json()["id"]

    response = send(signed_in_client(billing), "POST", f"{URL}/{discount_id}/deactivate")

    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    listed = send(signed_in_client(billing), "GET", f"{URL}?active=false").json()
    assert [item["code"] for item in listed["items"]] == ["GONE"]
    problem(_redeem(billing, billed.membership, "GONE"), 422, "code", "inactive")
    assert not DiscountRedemption.objects.exists()


def test_a_code_for_another_plan_or_already_redeemed_is_refused(billing, plans, billed):
    _create(billing, code="CONCIERGE", plan_ids=[plans[1].id])
    _create(billing, code="ONCE")
    _redeem(billing, billed.membership, "ONCE")
    before = billing_state()

    problem(_redeem(billing, billed.membership, "CONCIERGE"), 422, "code", "wrong_plan")
    problem(_redeem(billing, billed.membership, "ONCE"), 422, "code", "already_redeemed")

    assert billing_state() == before


def test_front_desk_may_list_and_redeem_codes_but_not_create_or_deactivate(
    billing, front_desk, billed
):
    discount_id = _create(billing, code="STAFF").json()["id"]
    before = billing_state()
    client = signed_in_client(front_desk)

    assert send(client, "GET", URL).status_code == 200
    problem(_create(front_desk, code="DESK"), 403)
    problem(send(client, "POST", f"{URL}/{discount_id}/deactivate"), 403)

    assert billing_state() == before
    assert Discount.objects.get(pk=discount_id).active
    assert _redeem(front_desk, billed.membership, "STAFF").status_code == 201
