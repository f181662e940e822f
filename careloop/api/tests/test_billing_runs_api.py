"""Billing runs through the API: start one as of a day, read what it did."""

from datetime import date

import pytest

from careloop.api.tests.billing_builders import billed_membership, billing_state, problem
from careloop.api.tests.sending import send
from careloop.billing.models import Invoice
from careloop.billing.tests.builders import DECLINING_CARD
from careloop.memberships.tests.lifecycle_builders import freeze_on, make_plan
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/billing/runs"


@pytest.fixture
def due(admin):
    """Two monthly memberships from January 1, one on a declining card; today is February 1."""
    freeze_on(date(2026, 1, 1))
    plan = make_plan(code="essentials", rank=1, monthly=10_000)
    paying = billed_membership(admin, plan)
    declining = billed_membership(admin, plan, given="Bo", family="Declined", card=DECLINING_CARD)
    freeze_on(date(2026, 2, 1))
    return paying, declining


def test_a_run_bills_every_due_membership_and_answers_its_counts(billing, due):
    response = send(signed_in_client(billing), "POST", URL, {})

    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["as_of"], run["status"], run["started_by_id"], run["currency"]) == (
        "2026-02-01",
        "finished",
        billing.id,
        "USD",
    )
    assert (
        run["memberships_seen"],
        run["invoices_issued"],
        run["amount_invoiced"],
        run["charges_succeeded"],
        run["charges_failed"],
        run["amount_collected"],
        run["errors"],
        run["retries"],
    ) == (2, 2, 20_000, 1, 2, 10_000, 0, 1)
    # Bo's January invoice, declined on January 1, was due for its retry too: the run tried it
    # once more (a retry) and it failed again, as February's did.
    assert Invoice.objects.filter(kind="renewal").count() == 2


def test_a_second_run_for_the_same_day_issues_and_charges_nothing(admin, due):
    client = signed_in_client(admin)
    first = send(client, "POST", URL, {"as_of": "2026-02-01"}).json()

    second = send(client, "POST", URL, {"as_of": "2026-02-01"}).json()

    assert (second["invoices_issued"], second["charges_succeeded"]) == (0, 0)
    assert Invoice.objects.filter(kind="renewal").count() == 2
    listed = send(client, "GET", URL).json()
    assert [item["id"] for item in listed["items"]] == [second["id"], first["id"]]
    assert listed["total"] == 2
    detail = send(client, "GET", f"{URL}/{first['id']}").json()
    assert detail["invoices_issued"] == 2


def test_a_run_as_of_a_later_day_is_a_422_naming_as_of_and_bills_nothing(billing, due):
    before = billing_state()

    body = problem(
        send(signed_in_client(billing), "POST", URL, {"as_of": "2026-02-02"}),
        422,
        "as_of",
        "in_future",
    )

    assert "2026-02-01" in body["errors"][0]["message"]
    assert billing_state() == before


def test_front_desk_may_read_runs_but_not_start_one(front_desk, due):
    client = signed_in_client(front_desk)
    before = billing_state()

    problem(send(client, "POST", URL, {}), 403)
    assert send(client, "GET", URL).status_code == 200

    assert billing_state() == before


def test_an_unknown_run_is_a_404(billing, due):
    problem(send(signed_in_client(billing), "GET", f"{URL}/999999"), 404)
