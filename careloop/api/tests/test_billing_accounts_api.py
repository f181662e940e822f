"""Payers through the API: balance, journal entries and saved cards (tokens only)."""

from datetime import date

import pytest

from careloop.api.tests.billing_builders import billed_membership, billing_state, problem
from careloop.api.tests.sending import send
from careloop.audit.models import AuditEvent
from careloop.billing.models import PaymentMethod
from careloop.billing.services.accounts import payment_method_add, payment_method_make_default
from careloop.billing.tests.builders import DECLINING_CARD, committed
from careloop.memberships.services.lifecycle import membership_cancel
from careloop.memberships.tests.lifecycle_builders import freeze_on, make_plan, make_reason
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(admin):
    freeze_on(date(2026, 1, 1))
    return make_plan(code="essentials", rank=1, monthly=10_000)


@pytest.fixture
def cancelled(admin, plan):
    """Paid for January, cancelled on January 11: 21 unused days are credited."""
    billed = billed_membership(admin, plan)
    freeze_on(date(2026, 1, 11))
    membership_cancel(actor=admin, membership=billed.membership, reason=make_reason())
    return billed


@pytest.fixture
def declined(admin, plan):
    return billed_membership(admin, plan, given="Bo", family="Declined", card=DECLINING_CARD)


def _cards(actor, account):
    response = send(
        signed_in_client(actor), "GET", f"/api/v1/billing/accounts/{account.id}/payment-methods"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_a_payers_balance_shows_what_they_owe_and_their_credit(billing, cancelled, declined):
    client = signed_in_client(billing)

    credit = send(client, "GET", f"/api/v1/billing/accounts/{cancelled.account.id}").json()
    owing = send(client, "GET", f"/api/v1/billing/accounts/{declined.account.id}").json()

    assert (credit["owed"], credit["credit"], credit["balance"]) == (0, 6_774, -6_774)
    assert (owing["owed"], owing["credit"], owing["balance"]) == (10_000, 0, 10_000)
    assert credit["payer_name"] == cancelled.payer.full_name
    assert credit["default_payment_method"]["last4"] == "4242"
    assert AuditEvent.objects.filter(
        action="billing_account.view", actor_id=billing.id, patient_id=cancelled.payer.id
    ).exists()


def test_payers_are_found_by_patient(billing, cancelled, declined):
    response = send(
        signed_in_client(billing), "GET", f"/api/v1/billing/accounts?patient_id={declined.payer.id}"
    )

    assert [item["id"] for item in response.json()["items"]] == [declined.account.id]
    assert response.json()["total"] == 1


def test_the_journal_shows_each_movement_of_the_payers_money_newest_first(billing, cancelled):
    response = send(
        signed_in_client(billing),
        "GET",
        f"/api/v1/billing/accounts/{cancelled.account.id}/journal",
    )

    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert [(item["kind"], item["owed_change"], item["credit_change"]) for item in items] == [
        ("invoice", 0, 6_774),
        ("payment", -10_000, 0),
        ("invoice", 10_000, 0),
    ]
    assert sum(item["owed_change"] for item in items) == 0
    assert items[1]["payment_id"] is not None
    assert items[2]["invoice_id"] == cancelled.invoice.id


def test_cards_show_brand_last_four_expiry_and_default_only(front_desk, cancelled):
    [card] = _cards(front_desk, cancelled.account)

    assert set(card) == {"id", "brand", "last4", "exp_month", "exp_year", "is_default"}
    assert (card["brand"], card["last4"], card["is_default"]) == ("visa", "4242", True)


def test_adding_a_card_makes_it_the_default_and_collects_what_is_owed(front_desk, declined):
    with committed():
        response = send(
            signed_in_client(front_desk),
            "POST",
            f"/api/v1/billing/accounts/{declined.account.id}/payment-methods",
            {"token": "tok_sandbox_success"},
        )

    assert response.status_code == 201, response.content
    assert (response.json()["last4"], response.json()["is_default"]) == ("4242", True)
    assert [(c["last4"], c["is_default"]) for c in _cards(front_desk, declined.account)] == [
        ("4242", True),
        ("9995", False),
    ]
    declined.invoice.refresh_from_db()
    assert (declined.invoice.status, declined.invoice.amount_paid) == ("paid", 10_000)
    declined.membership.refresh_from_db()
    assert declined.membership.status == "active"


def test_an_unknown_token_is_a_422_naming_it_and_saves_nothing(front_desk, declined):
    before = billing_state()

    for token in ("4242424242424242", ""):
        with committed():
            response = send(
                signed_in_client(front_desk),
                "POST",
                f"/api/v1/billing/accounts/{declined.account.id}/payment-methods",
                {"token": token},
            )
        problem(response, 422, "token", "card_refused" if token else "required")

    assert billing_state() == before


def test_removing_the_default_card_makes_the_newest_other_one_the_default(billing, declined):
    old = PaymentMethod.objects.get(account=declined.account)
    with committed():
        send(
            signed_in_client(billing),
            "POST",
            f"/api/v1/billing/accounts/{declined.account.id}/payment-methods",
            {"token": "tok_sandbox_success"},
        )
    new = PaymentMethod.objects.get(account=declined.account, is_default=True)
    url = f"/api/v1/billing/accounts/{declined.account.id}/payment-methods/{new.id}"

    response = send(signed_in_client(billing), "DELETE", url)

    assert response.status_code == 204, response.content
    assert [(c["id"], c["is_default"]) for c in _cards(billing, declined.account)] == [
        (old.id, True)
    ]
    problem(send(signed_in_client(billing), "DELETE", url), 404)


def test_a_card_of_another_payer_cannot_be_removed_through_this_one(billing, cancelled, declined):
    other = PaymentMethod.objects.get(account=cancelled.account)
    before = billing_state()

    problem(
        send(
            signed_in_client(billing),
            "DELETE",
            f"/api/v1/billing/accounts/{declined.account.id}/payment-methods/{other.id}",
        ),
        404,
    )

    assert billing_state() == before


def test_a_provider_may_not_see_or_change_cards_and_a_patient_is_told_nothing_exists(
    provider, patient_ann, declined
):
    before = billing_state()
    url = f"/api/v1/billing/accounts/{declined.account.id}/payment-methods"

    problem(send(signed_in_client(provider), "GET", url), 403)
    problem(send(signed_in_client(provider), "POST", url, {"token": "tok_sandbox_success"}), 403)
    problem(send(signed_in_client(patient_ann.user), "GET", url), 404)
    problem(
        send(signed_in_client(patient_ann.user), "POST", url, {"token": "tok_sandbox_success"}),
        404,
    )

    assert billing_state() == before


def test_making_another_saved_card_the_default_charges_what_is_owed_to_it(billing, declined):
    declining = PaymentMethod.objects.get(account=declined.account)
    # A working card saved earlier, then the declining one chosen again as the default.
    working = payment_method_add(
        actor=billing, account=declined.account, token="tok_sandbox_success"
    )
    payment_method_make_default(actor=billing, method=declining)
    declined.invoice.refresh_from_db()
    assert declined.invoice.status == "open"

    with committed():
        response = send(
            signed_in_client(billing),
            "POST",
            f"/api/v1/billing/accounts/{declined.account.id}/payment-methods/{working.id}/default",
        )

    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["is_default"]) == (working.id, True)
    assert [(c["id"], c["is_default"]) for c in _cards(billing, declined.account)] == [
        (working.id, True),
        (declining.id, False),
    ]
    declined.invoice.refresh_from_db()
    assert (declined.invoice.status, declined.invoice.amount_paid) == ("paid", 10_000)
    assert AuditEvent.objects.filter(
        action="billing.card_made_default", object_id=str(working.id)
    ).exists()


def test_a_removed_card_or_another_payers_card_cannot_be_made_the_default(
    billing, cancelled, declined
):
    other = PaymentMethod.objects.get(account=cancelled.account)
    before = billing_state()

    problem(
        send(
            signed_in_client(billing),
            "POST",
            f"/api/v1/billing/accounts/{declined.account.id}/payment-methods/{other.id}/default",
        ),
        404,
    )

    assert billing_state() == before
