from datetime import date

import pytest

from careloop.api.tests.sending import send
from careloop.memberships.models import ChangeStatus, ScheduledChange
from careloop.memberships.periods import Interval
from careloop.memberships.services.lifecycle import (
    membership_change_price,
    membership_downgrade,
    membership_pause,
)
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    make_plan,
    new_price_version,
    scheduled,
)
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(admin):
    freeze_on(date(2026, 1, 1))
    essentials = make_plan(code="essentials", rank=1, name="Essentials")
    active_care = make_plan(code="active-care", rank=2, name="Active Care")
    head, _, _ = family()
    membership = enroll(admin, active_care, head)
    return membership, essentials, active_care


def _revoke(actor, membership, change):
    return send(
        signed_in_client(actor),
        "POST",
        f"/api/v1/memberships/{membership.id}/scheduled-changes/{change.id}/revoke",
    )


def test_staff_list_scheduled_changes_and_filter_them_by_status(admin, provider, setting):
    membership, essentials, _ = setting
    outcome = membership_downgrade(
        actor=admin, membership=membership, plan=essentials, effective_on=date(2026, 3, 1)
    )
    client = signed_in_client(provider)
    url = f"/api/v1/memberships/{membership.id}/scheduled-changes"
    [change] = send(client, "GET", url).json()
    assert change["id"] == scheduled(outcome).id
    assert (change["status"], change["summary"], change["details"]["plan_id"]) == (
        "scheduled",
        "Downgrade to Essentials",
        essentials.id,
    )
    assert send(client, "GET", url + "?status=revoked").json() == []


def test_a_scheduled_change_is_revoked_once_and_then_is_a_409(front_desk, admin, setting):
    membership, essentials, _ = setting
    change = scheduled(
        membership_downgrade(
            actor=admin, membership=membership, plan=essentials, at_period_end=True
        )
    )
    response = _revoke(front_desk, membership, change)
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    change.refresh_from_db()
    assert change.revoked_by_id == front_desk.id
    again = _revoke(front_desk, membership, change)
    assert again.status_code == 409
    assert again.json()["code"] == "not_scheduled"
    assert "already revoked" in again.json()["detail"]


def test_a_change_of_another_membership_is_not_found_here(admin, front_desk, setting):
    membership, essentials, active_care = setting
    other_head, _, _ = family("Ortega")
    other = enroll(admin, active_care, other_head)
    change = scheduled(
        membership_downgrade(actor=admin, membership=other, plan=essentials, at_period_end=True)
    )
    assert _revoke(front_desk, membership, change).status_code == 404
    change.refresh_from_db()
    assert change.status == ChangeStatus.SCHEDULED


def test_the_resume_that_limits_a_pause_stays(front_desk, admin, setting):
    membership = setting[0]
    membership_pause(actor=admin, membership=membership)
    resume = ScheduledChange.objects.get(kind="resume")
    response = _revoke(front_desk, membership, resume)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "pause_too_long"
    resume.refresh_from_db()
    assert resume.status == ChangeStatus.SCHEDULED


def test_only_an_admin_revokes_a_price_change(admin, billing, setting):
    membership, _, active_care = setting
    price = new_price_version(active_care, Interval.MONTHLY, 12_000)
    change = scheduled(
        membership_change_price(
            actor=admin,
            membership=membership,
            price=price,
            effective_on=date(2026, 3, 1),
            notice_on=date(2026, 1, 1),
        )
    )
    refused = _revoke(billing, membership, change)
    assert refused.status_code == 403
    change.refresh_from_db()
    assert change.status == ChangeStatus.SCHEDULED
    assert _revoke(admin, membership, change).status_code == 200


@pytest.mark.parametrize("who", ["provider", "patient"])
def test_those_who_may_not_change_memberships_cannot_revoke(
    request, admin, patient_ann, setting, who
):
    membership, essentials, _ = setting
    change = scheduled(
        membership_downgrade(
            actor=admin, membership=membership, plan=essentials, at_period_end=True
        )
    )
    actor = patient_ann.user if who == "patient" else request.getfixturevalue(who)
    assert _revoke(actor, membership, change).status_code == (404 if who == "patient" else 403)
    change.refresh_from_db()
    assert change.status == ChangeStatus.SCHEDULED
