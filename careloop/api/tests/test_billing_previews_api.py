"""Previews through the API: what a membership action would bill, with nothing changed."""

from datetime import date

import pytest

from careloop.accounts.roles import Role
from careloop.api.tests.billing_builders import billed_membership, billing_state, problem
from careloop.api.tests.sending import send
from careloop.audit.models import AuditEvent
from careloop.billing.tests.builders import committed
from careloop.memberships.models import MemberRole
from careloop.memberships.services.lifecycle import (
    membership_add_member,
    membership_cancel,
    membership_pause,
)
from careloop.memberships.tests.lifecycle_builders import (
    family,
    freeze_on,
    make_plan,
    make_reason,
)
from careloop.testing.clients import signed_in_client
from careloop.testing.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(admin):
    """A household on Essentials (10,000 a month, 5,000 for the partner) paid for January;
    today is January 11, so 21 of January's 31 days are unused."""
    freeze_on(date(2026, 1, 1))
    essentials = make_plan(code="essentials", rank=1, monthly=10_000)
    active_care = make_plan(code="active-care", rank=2, monthly=15_000)
    head, partner, child = family()
    billed = billed_membership(admin, essentials, payer=head)
    freeze_on(date(2026, 1, 11))
    return billed, essentials, active_care, partner, child


def _preview(actor, membership, action, body):
    return send(
        signed_in_client(actor),
        "POST",
        f"/api/v1/billing/memberships/{membership.id}/previews/{action}",
        body,
    )


def _lines(invoice):
    return [(line["kind"], line["amount"]) for line in invoice["lines"]]


def test_an_upgrade_preview_shows_the_credit_the_charge_and_changes_nothing(front_desk, setup):
    billed, _, active_care, _, _ = setup
    before = billing_state()

    response = _preview(front_desk, billed.membership, "upgrade", {"plan_id": active_care.id})

    assert response.status_code == 200, response.content
    body = response.json()
    [invoice] = body["invoices"]
    assert invoice["kind"] == "change"
    assert _lines(invoice) == [("proration_credit", -6_774), ("proration_charge", 10_161)]
    assert (body["effective_on"], body["charged_now"], body["credit_after"]) == (
        "2026-01-11",
        3_387,
        0,
    )
    assert billing_state() == before
    assert AuditEvent.objects.filter(action="billing.preview", actor_id=front_desk.id).exists()


def test_a_downgrade_at_period_end_previews_the_next_period_invoice(billing, setup):
    billed = setup[0]
    cheaper = make_plan(code="basic", rank=0, monthly=6_000)
    before = billing_state()

    body = _preview(
        billing, billed.membership, "downgrade", {"plan_id": cheaper.id, "at_period_end": True}
    ).json()

    assert body["effective_on"] == "2026-02-01"
    [renewal] = body["invoices"]
    assert (renewal["kind"], renewal["period_start"], renewal["period_end"]) == (
        "renewal",
        "2026-02-01",
        "2026-03-01",
    )
    assert _lines(renewal) == [("period", 6_000)]
    assert billing_state() == before


def test_a_cancellation_preview_shows_the_credit_left_on_the_account(billing, setup):
    billed = setup[0]
    before = billing_state()

    body = _preview(billing, billed.membership, "cancel", {"reason_id": make_reason().id}).json()

    [invoice] = body["invoices"]
    assert _lines(invoice) == [("proration_credit", -6_774)]
    assert (body["charged_now"], body["credit_after"]) == (0, 6_774)
    assert billing_state() == before


def test_an_interval_change_preview_credits_january_and_bills_a_quarter(billing, setup):
    billed = setup[0]

    body = _preview(billing, billed.membership, "change-interval", {"interval": "quarterly"}).json()

    [invoice] = body["invoices"]
    assert (invoice["period_start"], invoice["period_end"]) == ("2026-01-11", "2026-04-11")
    assert sorted(_lines(invoice)) == sorted([("proration_credit", -6_774), ("period", 28_000)])
    assert body["charged_now"] == 21_226


def test_adding_a_member_is_previewed_with_their_remaining_days(billing, setup):
    billed, _, _, partner, _ = setup
    before = billing_state()

    added = _preview(
        billing, billed.membership, "add-member", {"patient_id": partner.id, "role": "adult"}
    ).json()

    [invoice] = added["invoices"]
    assert _lines(invoice) == [("proration_charge", 3_387)]
    assert (invoice["lines"][0]["service_start"], added["charged_now"]) == ("2026-01-11", 3_387)
    assert billing_state() == before


def test_removing_a_member_now_is_previewed_with_the_credit_for_their_unused_days(admin, setup):
    billed, _, _, partner, _ = setup
    with committed():
        membership_add_member(
            actor=admin, membership=billed.membership, patient=partner, role=MemberRole.ADULT
        )
    freeze_on(date(2026, 1, 21))
    before = billing_state()

    response = _preview(admin, billed.membership, "remove-member", {"patient_id": partner.id})

    assert response.status_code == 200, response.content
    body = response.json()
    [invoice] = body["invoices"]
    # 11 of January's 31 days of the partner's 5,000.
    assert _lines(invoice) == [("proration_credit", -1_774)]
    assert (body["charged_now"], body["credit_after"]) == (0, 1_774)
    assert billing_state() == before


def test_pause_and_resume_are_previewed(billing, admin, setup):
    billed = setup[0]

    paused = _preview(billing, billed.membership, "pause", {"resumes_on": "2026-02-11"}).json()
    assert _lines(paused["invoices"][0]) == [("proration_credit", -6_774)]
    assert paused["credit_after"] == 6_774

    membership_pause(actor=admin, membership=billed.membership, resumes_on=date(2026, 3, 1))
    freeze_on(date(2026, 1, 21))
    before = billing_state()
    resumed = _preview(billing, billed.membership, "resume", {}).json()
    assert resumed["effective_on"] == "2026-01-21"
    [stub] = resumed["invoices"]
    assert (stub["period_start"], stub["period_end"]) == ("2026-01-21", "2026-02-01")
    # The 11 days cost 3,548, taken from the 6,774 credited for the pause: nothing to charge.
    assert _lines(stub) == [("proration_charge", 3_548)]
    assert (stub["credit_applied"], resumed["charged_now"], resumed["credit_after"]) == (
        3_548,
        0,
        3_226,
    )
    assert billing_state() == before


def test_a_preview_for_a_cancelled_membership_is_a_409_and_changes_nothing(billing, admin, setup):
    billed, _, active_care, _, _ = setup
    membership_cancel(actor=admin, membership=billed.membership, reason=make_reason())
    before = billing_state()

    body = problem(
        _preview(billing, billed.membership, "upgrade", {"plan_id": active_care.id}), 409
    )

    assert body["code"] == "illegal_transition"
    assert "cancelled" in body["detail"]
    assert billing_state() == before


def test_an_unknown_plan_is_a_422_naming_plan_id(billing, setup):
    billed = setup[0]
    before = billing_state()

    problem(
        _preview(billing, billed.membership, "upgrade", {"plan_id": 999_999}),
        422,
        "plan_id",
        "unknown_plan",
    )

    assert billing_state() == before


def test_a_provider_may_not_preview_and_a_patient_is_told_the_membership_does_not_exist(
    provider, setup
):
    billed, _, active_care, _, _ = setup
    patient = billed.payer
    patient.user = make_user(role=Role.PATIENT, username="frances")
    patient.save(update_fields=["user"])

    problem(_preview(provider, billed.membership, "upgrade", {"plan_id": active_care.id}), 403)
    problem(_preview(patient.user, billed.membership, "upgrade", {"plan_id": active_care.id}), 404)
