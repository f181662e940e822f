"""Each lifecycle action through the API: one that succeeds and one that is refused."""

from datetime import date

import pytest

from careloop.api.tests.sending import send
from careloop.memberships.models import MemberRole, Membership, ScheduledChange
from careloop.memberships.periods import Interval
from careloop.memberships.services.lifecycle import membership_cancel, membership_pause
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    make_plan,
    make_reason,
    new_price_version,
    snapshot,
)
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def plans(admin):
    freeze_on(date(2026, 1, 10))
    return {
        "essentials": make_plan(code="essentials", rank=1, name="Essentials"),
        "active": make_plan(code="active-care", rank=2, name="Active Care"),
        "concierge": make_plan(code="concierge", rank=3, name="Concierge"),
    }


@pytest.fixture
def household(admin, plans):
    head, partner, child = family()
    membership = enroll(
        admin, plans["active"], head, (partner, MemberRole.ADULT), start=date(2026, 1, 10)
    )
    return membership, head, partner, child


def _act(actor, membership, action, body=None):
    return send(
        signed_in_client(actor),
        "POST",
        f"/api/v1/memberships/{membership.id}/actions/{action}",
        {} if body is None else body,
    )


def _unchanged(before):
    after = snapshot()
    return {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }


def _refused(response, status, field=None, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    if field is not None:
        assert (field, code) in [(e["field"], e["code"]) for e in body["errors"]], body
    return body


def test_an_upgrade_applies_now_and_a_sideways_one_is_refused(front_desk, plans, household):
    membership = household[0]
    before = snapshot()
    refused = _act(front_desk, membership, "upgrade", {"plan_id": plans["essentials"].id})
    _refused(refused, 422, "plan_id", "not_an_upgrade")
    assert _unchanged(before)
    response = _act(front_desk, membership, "upgrade", {"plan_id": plans["concierge"].id})
    assert response.status_code == 200
    body = response.json()
    assert (body["applied"], body["scheduled_change"]) == (True, None)
    assert body["membership"]["plan_name"] == "Concierge"


def test_a_downgrade_at_period_end_is_scheduled_and_a_paused_one_is_a_409(
    admin, billing, plans, household
):
    membership = household[0]
    response = _act(
        billing, membership, "downgrade", {"plan_id": plans["essentials"].id, "at_period_end": True}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["applied"] is False
    assert body["scheduled_change"]["effective_on"] == "2026-02-10"
    assert body["scheduled_change"]["summary"] == "Downgrade to Essentials"
    assert body["membership"]["plan_name"] == "Active Care"
    assert [c["id"] for c in body["membership"]["scheduled_changes"]] == [
        body["scheduled_change"]["id"]
    ]

    ScheduledChange.objects.all().delete()
    membership_pause(actor=admin, membership=membership)
    before = snapshot()
    refused = _act(billing, membership, "downgrade", {"plan_id": plans["essentials"].id})
    problem = _refused(refused, 409)
    assert problem["code"] == "illegal_transition"
    assert "paused cannot change plan" in problem["detail"]
    assert _unchanged(before)


def test_changing_the_interval_moves_billing_and_the_same_interval_is_refused(
    front_desk, household
):
    membership = household[0]
    _refused(
        _act(front_desk, membership, "change-interval", {"interval": "monthly"}),
        422,
        "interval",
        "same_interval",
    )
    response = _act(front_desk, membership, "change-interval", {"interval": "quarterly"})
    assert response.status_code == 200
    assert response.json()["membership"]["interval"] == "quarterly"
    assert response.json()["membership"]["current_period"]["end"] == "2026-04-10"


def test_front_desk_adds_a_child_but_billing_may_not_add_members(front_desk, billing, household):
    membership, _, _, child = household
    before = snapshot()
    refused = _act(billing, membership, "add-member", {"patient_id": child.id, "role": "child"})
    _refused(refused, 403)
    assert _unchanged(before)
    _refused(
        _act(front_desk, membership, "add-member", {"patient_id": 987654, "role": "child"}),
        422,
        "patient_id",
        "not_found",
    )
    response = _act(front_desk, membership, "add-member", {"patient_id": child.id, "role": "child"})
    assert response.status_code == 200
    members = response.json()["membership"]["members"]
    assert (members[-1]["patient_id"], members[-1]["role"]) == (child.id, "child")


def test_removing_a_member_works_but_the_primary_stays(front_desk, household):
    membership, head, partner, _ = household
    _refused(
        _act(front_desk, membership, "remove-member", {"patient_id": head.id}),
        422,
        "patient_id",
        "primary_member",
    )
    response = _act(front_desk, membership, "remove-member", {"patient_id": partner.id})
    assert response.status_code == 200
    left = {m["patient_id"]: m["left_on"] for m in response.json()["membership"]["members"]}
    assert left == {head.id: None, partner.id: "2026-01-10"}


def test_a_pause_schedules_its_resume_and_a_pause_beyond_the_policy_is_refused(
    front_desk, household
):
    membership = household[0]
    before = snapshot()
    _refused(
        _act(front_desk, membership, "pause", {"resumes_on": "2026-06-10"}),
        422,
        "resumes_on",
        "pause_too_long",
    )
    assert _unchanged(before)
    response = _act(front_desk, membership, "pause", {"resumes_on": "2026-03-10"})
    assert response.status_code == 200
    body = response.json()["membership"]
    assert (body["status"], body["paused_on"], body["resumes_on"]) == (
        "paused",
        "2026-01-10",
        "2026-03-10",
    )
    assert [(c["kind"], c["effective_on"]) for c in body["scheduled_changes"]] == [
        ("resume", "2026-03-10")
    ]
    assert "Nothing is covered while paused" in body["warning"]


def test_resuming_a_paused_membership_works_and_resuming_an_active_one_is_a_409(
    admin, front_desk, household
):
    membership = household[0]
    problem = _refused(_act(front_desk, membership, "resume"), 409)
    assert "active cannot resume" in problem["detail"]
    membership_pause(actor=admin, membership=membership)
    response = _act(front_desk, membership, "resume")
    assert response.status_code == 200
    assert response.json()["membership"]["status"] == "active"


def test_cancelling_needs_a_reason_and_cancelling_twice_is_a_409(front_desk, household):
    membership = household[0]
    reason = make_reason()
    _refused(_act(front_desk, membership, "cancel", {}), 422, "reason_id", "required")
    _refused(
        _act(front_desk, membership, "cancel", {"reason_id": 987654}),
        422,
        "reason_id",
        "unknown_reason",
    )
    response = _act(
        front_desk, membership, "cancel", {"reason_id": reason.id, "note": "Moving to Ohio"}
    )
    assert response.status_code == 200
    body = response.json()["membership"]
    assert (body["status"], body["cancellation_reason"], body["cancellation_note"]) == (
        "cancelled",
        "moving",
        "Moving to Ohio",
    )
    before = snapshot()
    problem = _refused(_act(front_desk, membership, "cancel", {"reason_id": reason.id}), 409)
    assert problem["code"] == "illegal_transition"
    assert _unchanged(before)


def test_cancelling_at_period_end_keeps_covering_until_then(front_desk, household):
    membership = household[0]
    response = _act(
        front_desk,
        membership,
        "cancel",
        {"reason_id": make_reason().id, "at_period_end": True},
    )
    body = response.json()
    assert body["applied"] is False
    assert body["membership"]["status"] == "active"
    assert body["membership"]["next_renewal"] is None
    assert body["membership"]["warning"].startswith("Ending: cancelled from 2026-02-10")


def test_a_date_and_the_period_end_together_are_refused(front_desk, household):
    response = _act(
        front_desk,
        household[0],
        "cancel",
        {"reason_id": make_reason().id, "at_period_end": True, "effective_on": "2026-03-01"},
    )
    _refused(response, 422, "effective_on", "date_and_period_end")


def test_reactivating_a_cancelled_membership_works_and_an_active_one_is_a_409(
    admin, front_desk, household
):
    membership = household[0]
    _refused(_act(front_desk, membership, "reactivate"), 409)
    membership_cancel(actor=admin, membership=membership, reason=make_reason())
    response = _act(front_desk, membership, "reactivate")
    assert response.status_code == 200
    assert response.json()["membership"]["status"] == "active"


def test_activating_a_pending_membership_works_but_not_for_a_later_date(admin, front_desk, plans):
    head, _, _ = family()
    membership = enroll(admin, plans["active"], head, start=date(2026, 1, 10), active=False)
    _refused(
        _act(front_desk, membership, "activate", {"effective_on": "2026-02-01"}),
        422,
        "effective_on",
        "cannot_schedule",
    )
    response = _act(front_desk, membership, "activate")
    assert response.status_code == 200
    assert response.json()["membership"]["status"] == "active"


def test_only_an_admin_changes_a_members_price_with_a_notice_date(
    admin, front_desk, plans, household
):
    membership = household[0]
    price = new_price_version(plans["active"], Interval.MONTHLY, 11_000)
    body = {"price_id": price.id, "effective_on": "2026-03-01", "notice_on": "2026-01-10"}
    before = snapshot()
    _refused(_act(front_desk, membership, "change-price", body), 403)
    _refused(
        _act(admin, membership, "change-price", body | {"notice_on": "2026-04-01"}),
        422,
        "notice_on",
        "notice_after_change",
    )
    assert _unchanged(before)
    response = _act(admin, membership, "change-price", body)
    assert response.status_code == 200
    change = response.json()["scheduled_change"]
    # The new price starts with the first billing period on or after 1 March.
    assert (change["kind"], change["effective_on"], change["notice_on"]) == (
        "price_change",
        "2026-03-10",
        "2026-01-10",
    )


def test_backdating_an_action_is_for_admins(admin, front_desk, plans, household):
    membership = household[0]
    freeze_on(date(2026, 1, 20))
    body = {"plan_id": plans["concierge"].id, "effective_on": "2026-01-15"}
    problem = _refused(_act(front_desk, membership, "upgrade", body), 403)
    assert problem["code"] == "backdating_not_allowed"
    assert Membership.objects.get(pk=membership.pk).plan_id == plans["active"].id
    assert _act(admin, membership, "upgrade", body).status_code == 200


def test_a_downgrade_inside_a_period_is_for_admins_and_front_desk_schedules_it(
    admin, front_desk, plans, household
):
    membership = household[0]
    freeze_on(date(2026, 1, 20))
    now = {"plan_id": plans["essentials"].id}
    problem = _refused(_act(front_desk, membership, "downgrade", now), 403)
    assert problem["code"] == "mid_period_reduction_not_allowed"
    assert "on 2026-02-10" in problem["detail"]
    assert Membership.objects.get(pk=membership.pk).plan_id == plans["active"].id

    later = _act(front_desk, membership, "downgrade", now | {"at_period_end": True})
    assert later.status_code == 200, later.content
    assert later.json()["scheduled_change"]["effective_on"] == "2026-02-10"


@pytest.mark.parametrize("who", ["provider", "coach", "patient"])
def test_roles_that_may_not_change_memberships_change_nothing(
    request, patient_ann, plans, admin, who
):
    from careloop.memberships.tests.lifecycle_builders import make_household

    make_household(patient_ann)
    membership = enroll(admin, plans["active"], patient_ann, start=date(2026, 1, 10))
    actor = patient_ann.user if who == "patient" else request.getfixturevalue(who)
    before = snapshot()
    response = _act(actor, membership, "upgrade", {"plan_id": plans["concierge"].id})
    # A patient is told there is nothing here, even for the membership that covers them.
    _refused(response, 404 if who == "patient" else 403)
    assert _unchanged(before)
