"""A membership's entitlement ledger and balances through the API."""

from datetime import UTC, date, datetime

import pytest

from careloop.api.tests.sending import send
from careloop.core import clock
from careloop.memberships.services.entitlements import (
    entitlement_consume,
    entitlement_grant_period,
    entitlement_hold,
)
from careloop.memberships.tests.ledger_builders import (
    add_benefit,
    make_membership,
    make_plan,
    make_service,
)
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def used(patient_ann, patient_bob, front_desk):
    """Ann's membership: 2 visits a month; one used, one held, then a third used beyond it."""
    clock.freeze(datetime(2027, 3, 10, 18, tzinfo=UTC))
    plan = make_plan(name="Active Care")
    visit = make_service(name="Provider visit", price=15000)
    add_benefit(plan, visit, allowance=2, member_price=9500)
    membership = make_membership(plan=plan, members=[patient_ann], start_date=date(2027, 1, 1))
    entitlement_grant_period(membership=membership, on=date(2027, 3, 10))
    for source_id in ("a-1", "a-2"):
        entitlement_hold(
            actor=front_desk,
            patient=patient_ann,
            service=visit,
            on=date(2027, 3, 12),
            source_type="appointment",
            source_id=source_id,
        )
    entitlement_consume(
        actor=front_desk,
        patient=patient_ann,
        service=visit,
        on=date(2027, 3, 12),
        source_type="appointment",
        source_id="a-1",
    )
    entitlement_consume(
        actor=front_desk,
        patient=patient_ann,
        service=visit,
        on=date(2027, 3, 14),
        source_type="appointment",
        source_id="a-3",
    )
    bob_membership = make_membership(plan=plan, members=[patient_bob], start_date=date(2027, 1, 1))
    return membership, bob_membership, visit


def test_the_ledger_lists_entries_newest_first_in_pages(billing, used):
    membership = used[0]
    client = signed_in_client(billing)
    url = f"/api/v1/memberships/{membership.id}/ledger"
    everything = send(client, "GET", url).json()
    assert [item["kind"] for item in everything["items"]] == [
        "overage",
        "consume",
        "hold",
        "hold",
        "grant",
    ]
    assert everything["total"] == 5
    overage = everything["items"][0]
    assert (overage["unit_price"], overage["source_id"]) == (9500, "a-3")
    use = everything["items"][1]
    assert use["settles_id"] == everything["items"][3]["id"]
    page = send(client, "GET", url + "?limit=2&offset=2").json()
    assert [item["id"] for item in page["items"]] == [
        item["id"] for item in everything["items"][2:4]
    ]
    assert page["total"] == 5
    holds = send(client, "GET", url + "?kind=hold").json()
    assert holds["total"] == 2


def test_balances_give_each_members_available_held_used_and_overage(billing, patient_ann, used):
    membership, _, visit = used
    response = send(
        signed_in_client(billing), "GET", f"/api/v1/memberships/{membership.id}/balances"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["on"] == "2027-03-10"
    [balance] = body["balances"]
    assert (balance["patient_id"], balance["service_id"]) == (patient_ann.id, visit.id)
    assert (
        balance["available"],
        balance["held"],
        balance["used"],
        balance["overage"],
        balance["granted"],
    ) == (0, 1, 1, 1, 2)
    assert balance["period"] == {"start": "2027-03-01", "end": "2027-04-01"}


def test_balances_on_another_date_read_that_period(billing, used):
    membership = used[0]
    body = send(
        signed_in_client(billing),
        "GET",
        f"/api/v1/memberships/{membership.id}/balances?on=2027-02-10",
    ).json()
    [balance] = body["balances"]
    assert balance["period"] == {"start": "2027-02-01", "end": "2027-03-01"}
    assert (balance["granted"], balance["used"]) == (0, 0)


def test_a_patient_reads_their_own_balances_but_not_the_ledger_or_anothers(patient_ann, used):
    membership, bob_membership, _ = used
    client = signed_in_client(patient_ann.user)
    own = send(client, "GET", f"/api/v1/memberships/{membership.id}/balances")
    assert own.status_code == 200
    assert own.json()["balances"][0]["used"] == 1
    other = send(client, "GET", f"/api/v1/memberships/{bob_membership.id}/balances")
    assert other.status_code == 404
    ledger = send(client, "GET", f"/api/v1/memberships/{membership.id}/ledger")
    assert ledger.status_code == 404
