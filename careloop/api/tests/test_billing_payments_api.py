"""Payments and refunds through the API."""

from datetime import date

import pytest

from careloop.api.tests.billing_builders import billed_membership, billing_state, problem
from careloop.api.tests.sending import send
from careloop.audit.models import AuditEvent
from careloop.billing.models import PaymentAttempt
from careloop.billing.selectors.balances import journal_totals
from careloop.billing.tests.builders import DECLINING_CARD
from careloop.memberships.tests.lifecycle_builders import freeze_on, make_plan
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def payments(admin):
    freeze_on(date(2026, 1, 1))
    plan = make_plan(code="essentials", rank=1, monthly=10_000)
    paid = billed_membership(admin, plan)
    declined = billed_membership(admin, plan, given="Bo", family="Declined", card=DECLINING_CARD)
    return paid, declined


def _payment(billed):
    return PaymentAttempt.objects.get(invoice=billed.invoice)


def _refund(actor, body):
    return send(signed_in_client(actor), "POST", "/api/v1/billing/refunds", body)


def test_payments_are_listed_newest_first_and_filtered_by_status_and_payer(billing, payments):
    paid, declined = payments
    client = signed_in_client(billing)

    def ids(query=""):
        response = send(client, "GET", f"/api/v1/billing/payments{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]], response.json()["total"]

    assert ids() == ([_payment(declined).id, _payment(paid).id], 2)
    assert ids("?status=declined") == ([_payment(declined).id], 1)
    assert ids(f"?account_id={paid.account.id}") == ([_payment(paid).id], 1)
    assert ids(f"?invoice_id={declined.invoice.id}") == ([_payment(declined).id], 1)
    assert ids("?limit=1&offset=1") == ([_payment(paid).id], 2)


def test_one_payment_shows_its_outcome_card_and_what_can_be_refunded(billing, payments):
    declined = payments[1]
    payment = _payment(declined)

    response = send(signed_in_client(billing), "GET", f"/api/v1/billing/payments/{payment.id}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["failure_code"], body["amount"], body["refundable"]) == (
        "declined",
        "insufficient_funds",
        10_000,
        0,
    )
    assert body["card"] == {"brand": "visa", "last4": "9995"}
    assert body["invoice_number"] == declined.invoice.number
    assert "token" not in str(body)
    assert AuditEvent.objects.filter(
        action="payment.view", actor_id=billing.id, patient_id=declined.payer.id
    ).exists()


def test_a_partial_refund_goes_back_to_the_card_and_shows_on_the_invoice(billing, payments):
    paid = payments[0]
    payment = _payment(paid)

    response = _refund(
        billing, {"payment_id": payment.id, "amount": 2_500, "reason": "Missed visit"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["amount"], body["payment_id"], body["reason"]) == (
        "succeeded",
        2_500,
        payment.id,
        "Missed visit",
    )
    paid.invoice.refresh_from_db()
    assert paid.invoice.amount_refunded == 2_500
    assert sum(journal_totals().values()) == 0
    listed = send(
        signed_in_client(billing), "GET", f"/api/v1/billing/refunds?payment_id={payment.id}"
    )
    assert [item["id"] for item in listed.json()["items"]] == [body["id"]]
    detail = send(signed_in_client(billing), "GET", f"/api/v1/billing/payments/{payment.id}")
    assert (detail.json()["amount_refunded"], detail.json()["refundable"]) == (2_500, 7_500)


@pytest.mark.parametrize(
    ("amount", "code"),
    [(-500, "not_positive"), (0, "not_positive"), (10_001, "more_than_paid")],
)
def test_a_refund_that_is_not_positive_or_above_what_was_paid_is_a_422_naming_amount(
    billing, payments, amount, code
):
    payment = _payment(payments[0])
    before = billing_state()

    body = problem(
        _refund(billing, {"payment_id": payment.id, "amount": amount, "reason": "Goodwill"}),
        422,
        "amount",
        code,
    )

    if code == "more_than_paid":
        assert (
            body["errors"][0]["message"] == "At most 100.00 of this payment can still be refunded."
        )
    assert billing_state() == before


def test_a_second_refund_cannot_take_more_than_is_left(billing, payments):
    payment = _payment(payments[0])
    _refund(billing, {"payment_id": payment.id, "amount": 6_000, "reason": "Part"})
    before = billing_state()

    problem(
        _refund(billing, {"payment_id": payment.id, "amount": 4_001, "reason": "Rest"}),
        422,
        "amount",
        "more_than_paid",
    )

    assert billing_state() == before


def test_refunding_a_declined_or_unknown_payment_is_a_422_naming_payment_id(billing, payments):
    declined = _payment(payments[1])
    before = billing_state()

    problem(
        _refund(billing, {"payment_id": declined.id, "amount": 100, "reason": "No"}),
        422,
        "payment_id",
        "not_paid",
    )
    problem(
        _refund(billing, {"payment_id": 999_999, "amount": 100, "reason": "No"}),
        422,
        "payment_id",
        "not_found",
    )
    problem(
        _refund(billing, {"payment_id": _payment(payments[0]).id, "amount": 100, "reason": ""}),
        422,
        "reason",
        "required",
    )
    assert billing_state() == before


def test_front_desk_may_see_payments_but_not_refund(front_desk, payments):
    payment = _payment(payments[0])
    before = billing_state()

    assert send(signed_in_client(front_desk), "GET", "/api/v1/billing/payments").status_code == 200
    problem(_refund(front_desk, {"payment_id": payment.id, "amount": 100, "reason": "No"}), 403)

    assert billing_state() == before


def test_a_patient_is_told_payments_and_refunds_do_not_exist(patient_ann, payments):
    client = signed_in_client(patient_ann.user)
    payment = _payment(payments[0])
    before = billing_state()

    problem(send(client, "GET", f"/api/v1/billing/payments/{payment.id}"), 404)
    problem(send(client, "GET", "/api/v1/billing/refunds"), 404)
    problem(
        _refund(patient_ann.user, {"payment_id": payment.id, "amount": 100, "reason": "Me"}), 404
    )

    assert billing_state() == before
