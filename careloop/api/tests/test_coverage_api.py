""" "Is this covered?" through the API: each answer, and who may ask about whom."""

from datetime import UTC, date, datetime

import pytest

from careloop.api.tests.sending import send
from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.memberships.models import MembershipStatus
from careloop.memberships.services.entitlements import entitlement_consume, entitlement_grant_period
from careloop.memberships.tests.ledger_builders import (
    add_benefit,
    make_membership,
    make_plan,
    make_service,
    set_status,
)
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def active_care(patient_ann):
    clock.freeze(datetime(2027, 3, 10, 18, tzinfo=UTC))
    plan = make_plan(name="Active Care")
    visit = make_service(name="Provider visit", price=15000)
    add_benefit(plan, visit, allowance=1, member_price=9500)
    membership = make_membership(plan=plan, members=[patient_ann], start_date=date(2027, 1, 1))
    entitlement_grant_period(membership=membership, on=date(2027, 3, 10))
    return membership, visit


def _ask(actor, patient, service, on=None):
    url = f"/api/v1/coverage?patient_id={patient.id}&service_id={service.id}"
    return send(signed_in_client(actor), "GET", url + (f"&on={on}" if on else ""))


def test_a_member_with_uses_left_is_covered_from_the_allowance(
    front_desk, patient_ann, active_care
):
    membership, visit = active_care
    response = _ask(front_desk, patient_ann, visit)
    assert response.status_code == 200
    body = response.json()
    assert (body["outcome"], body["covered"], body["price"]) == ("covered", True, 0)
    assert (body["membership_id"], body["allowance"], body["left_after_use"]) == (
        membership.id,
        1,
        0,
    )
    assert body["period"] == {"start": "2027-03-01", "end": "2027-04-01"}
    assert body["on"] == "2027-03-10"
    assert "Active Care includes 1 provider visit a month" in body["reason"]


def test_beyond_the_allowance_it_is_the_member_price(front_desk, patient_ann, active_care):
    _, visit = active_care
    entitlement_consume(
        actor=front_desk,
        patient=patient_ann,
        service=visit,
        on=date(2027, 3, 5),
        source_type="appointment",
        source_id="a-1",
    )
    body = _ask(front_desk, patient_ann, visit).json()
    assert (body["outcome"], body["covered"], body["price"]) == ("member_price", False, 9500)
    assert "member price of $95.00" in body["reason"]


def test_a_paused_membership_covers_nothing_and_says_so(front_desk, patient_ann, active_care):
    membership, visit = active_care
    set_status(membership, MembershipStatus.PAUSED)
    body = _ask(front_desk, patient_ann, visit).json()
    assert (body["outcome"], body["price"], body["membership_status"]) == (
        "not_covered",
        15000,
        "paused",
    )
    assert "paused" in body["reason"]


def test_a_non_member_pays_a_la_carte(front_desk, patient_bob, active_care):
    _, visit = active_care
    body = _ask(front_desk, patient_bob, visit).json()
    assert (body["outcome"], body["price"], body["membership_id"]) == (
        "not_a_member",
        15000,
        None,
    )
    assert body["reason"].startswith("Bob")


def test_the_date_picks_the_allowance_period(front_desk, patient_ann, active_care):
    _, visit = active_care
    body = _ask(front_desk, patient_ann, visit, on="2027-04-15").json()
    assert body["period"] == {"start": "2027-04-01", "end": "2027-05-01"}
    assert body["on"] == "2027-04-15"


def test_an_unknown_service_or_patient_is_a_422_naming_it(front_desk, patient_ann, active_care):
    response = send(
        signed_in_client(front_desk),
        "GET",
        f"/api/v1/coverage?patient_id={patient_ann.id}&service_id=987654",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "service_id"
    response = send(
        signed_in_client(front_desk),
        "GET",
        f"/api/v1/coverage?patient_id=987654&service_id={active_care[1].id}",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "patient_id"
    missing = send(signed_in_client(front_desk), "GET", "/api/v1/coverage")
    assert {e["field"] for e in missing.json()["errors"]} == {"patient_id", "service_id"}


def test_a_patient_asks_about_themselves_but_not_about_another_patient(
    patient_ann, patient_bob, active_care
):
    _, visit = active_care
    own = _ask(patient_ann.user, patient_ann, visit)
    assert own.status_code == 200
    assert own.json()["outcome"] == "covered"
    other = _ask(patient_ann.user, patient_bob, visit)
    assert other.status_code == 404
    assert AuditEvent.objects.filter(
        actor_id=patient_ann.user.id, patient_id=patient_bob.id, outcome="denied"
    ).exists()
