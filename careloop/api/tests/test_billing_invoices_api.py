"""Reading invoices through the API: the list with its filters, and one invoice in full."""

from datetime import date

import pytest

from careloop.api.tests.billing_builders import billed_membership, problem
from careloop.api.tests.sending import send
from careloop.audit.models import AuditEvent
from careloop.billing.tests.builders import DECLINING_CARD
from careloop.memberships.models import MemberRole
from careloop.memberships.tests.lifecycle_builders import family, freeze_on, make_plan
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(admin):
    """Three enrollment invoices: a household's paid on Jan 1, one declined on Jan 10 and one
    without a card on Jan 20 (today)."""
    freeze_on(date(2026, 1, 1))
    plan = make_plan(code="essentials", rank=1, monthly=10_000)
    head, partner, _ = family()
    paid = billed_membership(admin, plan, payer=head, others=((partner, MemberRole.ADULT),))
    freeze_on(date(2026, 1, 10))
    declined = billed_membership(
        admin, plan, given="Bo", family="Declined", card=DECLINING_CARD, start=date(2026, 1, 10)
    )
    freeze_on(date(2026, 1, 20))
    unpaid = billed_membership(
        admin, plan, given="Cy", family="Cardless", card=None, start=date(2026, 1, 20)
    )
    return paid, declined, unpaid, partner


def _ids(client, query=""):
    response = send(client, "GET", f"/api/v1/billing/invoices{query}")
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_the_list_filters_by_status_kind_payer_membership_dates_overdue_and_failure(
    billing, invoices
):
    paid, declined, unpaid, partner = invoices
    client = signed_in_client(billing)
    everything = [unpaid.invoice.id, declined.invoice.id, paid.invoice.id]

    assert _ids(client) == everything
    assert _ids(client, "?status=paid") == [paid.invoice.id]
    assert _ids(client, "?status=open") == [unpaid.invoice.id, declined.invoice.id]
    assert _ids(client, "?kind=enrollment") == everything
    assert _ids(client, "?kind=renewal") == []
    assert _ids(client, f"?account_id={declined.account.id}") == [declined.invoice.id]
    assert _ids(client, f"?patient_id={unpaid.payer.id}") == [unpaid.invoice.id]
    assert _ids(client, f"?patient_id={partner.id}") == [paid.invoice.id]
    assert _ids(client, f"?membership_id={paid.membership.id}") == [paid.invoice.id]
    assert _ids(client, "?issued_from=2026-01-05&issued_to=2026-01-10") == [declined.invoice.id]
    assert _ids(client, "?issued_from=2026-01-20") == [unpaid.invoice.id]
    assert _ids(client, "?overdue=true") == [declined.invoice.id]
    assert _ids(client, "?overdue=false") == [unpaid.invoice.id, paid.invoice.id]
    assert _ids(client, "?failed=true") == [declined.invoice.id]
    assert _ids(client, "?failed=true&status=open&overdue=true") == [declined.invoice.id]


def test_the_list_is_paged_with_a_total(front_desk, invoices):
    client = signed_in_client(front_desk)
    first = send(client, "GET", "/api/v1/billing/invoices?limit=2").json()
    second = send(client, "GET", "/api/v1/billing/invoices?limit=2&offset=2").json()

    assert (first["total"], len(first["items"]), second["total"], len(second["items"])) == (
        3,
        2,
        3,
        1,
    )
    assert (first["limit"], second["offset"]) == (2, 2)


def test_the_list_shows_amounts_and_is_audited_with_the_patients_shown(billing, invoices):
    _, declined, unpaid, _ = invoices
    response = send(signed_in_client(billing), "GET", "/api/v1/billing/invoices?status=open")

    declined_row = response.json()["items"][1]
    assert declined_row["number"] == f"INV-{declined.invoice.id:06d}"
    assert (
        declined_row["total"],
        declined_row["amount_paid"],
        declined_row["amount_due"],
        declined_row["failed_attempts"],
        declined_row["overdue"],
        declined_row["next_retry_on"],
    ) == (10_000, 0, 10_000, 1, True, "2026-01-11")
    event = AuditEvent.objects.get(action="invoice.list", actor_id=billing.id)
    assert event.detail == {"patient_ids": sorted([declined.payer.id, unpaid.payer.id])}


def test_an_unknown_status_or_a_range_that_ends_before_it_starts_is_a_422_naming_it(
    billing, invoices
):
    client = signed_in_client(billing)

    problem(send(client, "GET", "/api/v1/billing/invoices?status=settled"), 422, "status", "enum")
    problem(
        send(client, "GET", "/api/v1/billing/invoices?issued_from=2026-01-10&issued_to=2026-01-01"),
        422,
        "issued_to",
        "before_start",
    )


def test_one_invoice_shows_its_lines_payments_and_amounts(billing, invoices):
    paid, _, _, partner = invoices
    response = send(signed_in_client(billing), "GET", f"/api/v1/billing/invoices/{paid.invoice.id}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number"] == f"INV-{paid.invoice.id:06d}"
    assert (body["status"], body["kind"], body["currency"]) == ("paid", "enrollment", "USD")
    assert (
        body["total"],
        body["credit_applied"],
        body["amount_paid"],
        body["amount_due"],
        body["amount_refunded"],
    ) == (15_000, 0, 15_000, 0, 0)
    assert (body["period_start"], body["period_end"]) == ("2026-01-01", "2026-02-01")
    assert [(line["kind"], line["patient_id"], line["amount"]) for line in body["lines"]] == [
        ("period", paid.payer.id, 10_000),
        ("period", partner.id, 5_000),
    ]
    [payment] = body["payments"]
    assert (payment["status"], payment["amount"], payment["trigger"]) == (
        "succeeded",
        15_000,
        "at_once",
    )
    assert payment["card"] == {"brand": "visa", "last4": "4242"}
    assert body["refunds"] == []


def test_reading_an_invoice_is_audited_for_the_payer_and_each_member_it_bills(billing, invoices):
    paid, _, _, partner = invoices
    send(signed_in_client(billing), "GET", f"/api/v1/billing/invoices/{paid.invoice.id}")

    reads = AuditEvent.objects.filter(action="invoice.view", actor_id=billing.id)
    assert list(reads.order_by("patient_id").values_list("patient_id", flat=True)) == sorted(
        [paid.payer.id, partner.id]
    )
    assert set(reads.values_list("outcome", flat=True)) == {"success"}


def test_a_patient_is_told_an_invoice_does_not_exist_even_their_own(patient_ann, invoices):
    paid = invoices[0]
    client = signed_in_client(patient_ann.user)

    problem(send(client, "GET", f"/api/v1/billing/invoices/{paid.invoice.id}"), 404)
    problem(send(client, "GET", "/api/v1/billing/invoices"), 404)
    refused = AuditEvent.objects.get(action="invoice.view", actor_id=patient_ann.user.id)
    assert refused.outcome == "denied"


def test_a_provider_may_not_read_billing(provider, invoices):
    paid = invoices[0]
    client = signed_in_client(provider)

    body = problem(send(client, "GET", f"/api/v1/billing/invoices/{paid.invoice.id}"), 403)
    assert body["code"] == "forbidden"
    problem(send(client, "GET", "/api/v1/billing/invoices"), 403)


def test_an_unknown_invoice_is_a_404(billing, invoices):
    problem(send(signed_in_client(billing), "GET", "/api/v1/billing/invoices/999999"), 404)
