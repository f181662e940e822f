"""What staff do to an invoice through the API: void, write off, charge now, remind."""

from datetime import date

import pytest

from careloop.api.tests.billing_builders import billed_membership, billing_state, problem
from careloop.api.tests.sending import send
from careloop.audit.models import AuditEvent
from careloop.billing.links import account_from_token
from careloop.billing.models import Invoice, PaymentAttempt
from careloop.billing.tests.builders import CARD, DECLINING_CARD, with_card
from careloop.memberships.tests.lifecycle_builders import freeze_on, make_plan
from careloop.notifications.models import OutboxMessage
from careloop.patients.models import Patient
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(admin):
    freeze_on(date(2026, 1, 1))
    return make_plan(code="active-care", rank=2, monthly=15_000, name="Active Care")


@pytest.fixture
def paid(admin, plan):
    return billed_membership(admin, plan)


@pytest.fixture
def declined(admin, plan):
    return billed_membership(admin, plan, given="Bo", family="Declined", card=DECLINING_CARD)


@pytest.fixture
def unpaid(admin, plan):
    return billed_membership(admin, plan, given="Cy", family="Cardless", card=None)


def _post(actor, invoice, action, body=None):
    return send(
        signed_in_client(actor), "POST", f"/api/v1/billing/invoices/{invoice.id}/{action}", body
    )


def test_voiding_an_open_invoice_closes_it_with_the_reason(billing, unpaid):
    response = _post(billing, unpaid.invoice, "void", {"reason": "Enrolled by mistake"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["amount_due"], body["close_reason"]) == (
        "void",
        0,
        "Enrolled by mistake",
    )
    assert AuditEvent.objects.filter(
        action="invoice.void", actor_id=billing.id, patient_id=unpaid.payer.id
    ).exists()


def test_voiding_a_paid_invoice_is_a_409_that_says_to_refund_and_changes_nothing(billing, paid):
    before = billing_state()

    body = problem(_post(billing, paid.invoice, "void", {"reason": "Changed mind"}), 409)

    assert body["code"] == "illegal_invoice_transition"
    assert body["detail"] == "A paid invoice cannot be voided; refund the payment instead."
    assert billing_state() == before


def test_voiding_without_a_reason_is_a_422_naming_it(billing, unpaid):
    before = billing_state()

    problem(_post(billing, unpaid.invoice, "void", {"reason": "  "}), 422, "reason", "required")
    problem(_post(billing, unpaid.invoice, "void", {}), 422, "reason", "missing")
    assert billing_state() == before


def test_front_desk_may_not_void_or_write_off(front_desk, unpaid):
    before = billing_state()

    problem(_post(front_desk, unpaid.invoice, "void", {"reason": "Waive"}), 403)
    problem(_post(front_desk, unpaid.invoice, "mark-uncollectible", {"reason": "Gone"}), 403)
    assert billing_state() == before


def test_an_open_invoice_can_be_marked_uncollectible_and_a_paid_one_cannot(billing, paid, unpaid):
    response = _post(billing, unpaid.invoice, "mark-uncollectible", {"reason": "Moved away"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["amount_due"]) == ("uncollectible", 15_000)

    before = billing_state()
    body = problem(_post(billing, paid.invoice, "mark-uncollectible", {"reason": "No"}), 409)
    assert body["code"] == "illegal_invoice_transition"
    assert billing_state() == before


def test_collecting_now_with_a_new_card_pays_the_declined_invoice(front_desk, declined):
    with_card(declined.payer, CARD)

    response = _post(front_desk, declined.invoice, "collect")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["amount"], body["trigger"]) == ("succeeded", 15_000, "staff")
    declined.invoice.refresh_from_db()
    assert (declined.invoice.status, declined.invoice.amount_paid) == ("paid", 15_000)
    declined.membership.refresh_from_db()
    assert declined.membership.status == "active"
    assert AuditEvent.objects.filter(action="invoice.collect_now", actor_id=front_desk.id).exists()


def test_collecting_now_on_a_declining_card_answers_the_decline_and_counts_it(billing, declined):
    response = _post(billing, declined.invoice, "collect")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["failure_code"]) == ("declined", "insufficient_funds")
    declined.invoice.refresh_from_db()
    assert (declined.invoice.status, declined.invoice.failed_attempts) == ("open", 2)


@pytest.mark.parametrize(
    ("which", "code"), [("paid", "nothing_owed"), ("unpaid", "no_card_on_file")]
)
def test_collecting_now_with_nothing_owed_or_no_card_is_a_409_and_charges_nothing(
    billing, paid, unpaid, which, code
):
    invoice = {"paid": paid, "unpaid": unpaid}[which].invoice
    before = billing_state()

    problem(_post(billing, invoice, "collect"), 409, code=code)

    assert billing_state() == before


def test_collecting_while_a_charge_waits_for_the_gateway_is_a_409(billing, unpaid):
    with_card(unpaid.payer, "tok_sandbox_timeout")
    _post(billing, unpaid.invoice, "collect")
    assert PaymentAttempt.objects.get(invoice=unpaid.invoice).status == "pending"
    before = billing_state()

    problem(_post(billing, unpaid.invoice, "collect"), 409, code="payment_in_progress")

    assert billing_state() == before


def test_a_reminder_sends_the_amount_and_the_card_link_once_a_day(front_desk, declined):
    OutboxMessage.objects.all().delete()

    response = _post(front_desk, declined.invoice, "remind")

    assert response.status_code == 200, response.content
    [message] = OutboxMessage.objects.all()
    assert (message.kind, message.recipient, message.patient_id) == (
        "billing.payment_reminder",
        declined.payer.email,
        declined.payer.id,
    )
    assert "$150.00" in message.body
    assert declined.invoice.number in message.body
    assert "Active Care" not in message.body + message.subject
    token = message.body.rsplit("/pay/card/", 1)[1].strip("/ ")
    assert account_from_token(token) == declined.account.id

    before = billing_state()
    problem(_post(front_desk, declined.invoice, "remind"), 409, code="reminder_already_sent")
    assert billing_state() == before

    freeze_on(date(2026, 1, 2))
    assert _post(front_desk, declined.invoice, "remind").status_code == 200
    assert OutboxMessage.objects.count() == 2


def test_a_reminder_for_a_paid_invoice_or_a_payer_without_contact_is_a_409(billing, paid, unpaid):
    Patient.objects.filter(pk=unpaid.payer.pk).update(email="", mobile_phone="")
    before = billing_state()

    problem(_post(billing, paid.invoice, "remind"), 409, code="nothing_owed")
    problem(_post(billing, unpaid.invoice, "remind"), 409, code="no_contact")

    assert billing_state() == before


def test_a_provider_may_not_charge_or_remind(provider, unpaid):
    before = billing_state()

    problem(_post(provider, unpaid.invoice, "collect"), 403)
    problem(_post(provider, unpaid.invoice, "remind"), 403)

    assert billing_state() == before
    assert Invoice.objects.get(pk=unpaid.invoice.pk).status == "open"
