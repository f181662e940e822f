"""Scheduled changes: visible and revocable until their date, then applied once by the job.

These tests bill nothing: as far as billing knows, each membership's periods since January
are unbilled, so billing would hold every change (memberships.events.hold_changes) for the run
that bills them. They clear billing's hold, as if every run had been made; the hold itself is
tested with billing (careloop/billing/tests/test_catching_up_missed_runs.py).
"""

from datetime import date

import pytest

from careloop.core.errors import CareloopError, Conflict, ValidationFailed
from careloop.core.periodic import registered_jobs
from careloop.memberships import events
from careloop.memberships.models import ChangeStatus, MemberRole, ScheduledChange, StatusChange
from careloop.memberships.periods import Interval
from careloop.memberships.selectors.memberships import membership_card
from careloop.memberships.services import lifecycle
from careloop.memberships.services.scheduled import scheduled_change_revoke
from careloop.memberships.tasks import apply_due_scheduled_changes
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    make_plan,
    make_reason,
    new_price_version,
    scheduled,
    snapshot,
)


@pytest.fixture(autouse=True)
def billing_is_current(monkeypatch):
    monkeypatch.setattr(events, "_holds", [])


@pytest.fixture
def setup(admin, front_desk):
    freeze_on(date(2026, 1, 1))
    essentials = make_plan(code="essentials", rank=1, name="Essentials")
    active_care = make_plan(code="active-care", rank=2, name="Active Care")
    head, partner, child = family()
    membership = enroll(front_desk, active_care, head, (partner, MemberRole.ADULT))
    freeze_on(date(2026, 2, 10))
    return {
        "membership": membership,
        "essentials": essentials,
        "active_care": active_care,
        "head": head,
        "partner": partner,
        "child": child,
    }


def test_the_apply_job_is_registered_with_the_periodic_scheduler():
    assert "apply_due_scheduled_changes" in [job.name for job in registered_jobs()]


def test_a_downgrade_at_period_end_is_visible_revocable_and_applied_once_on_its_date(setup, admin):
    membership = setup["membership"]
    outcome = lifecycle.membership_downgrade(
        actor=admin, membership=membership, plan=setup["essentials"], at_period_end=True
    )
    assert not outcome.applied
    change = scheduled(outcome)
    assert (change.kind, change.effective_on, change.status) == (
        "plan_change",
        date(2026, 3, 1),
        "scheduled",
    )
    membership.refresh_from_db()
    assert membership.plan == setup["active_care"]
    card = membership_card(membership=membership)
    assert [(c.summary, c.effective_on) for c in card.scheduled_changes] == [
        ("Downgrade to Essentials", date(2026, 3, 1))
    ]

    assert apply_due_scheduled_changes.call() == 0
    freeze_on(date(2026, 3, 1))
    assert apply_due_scheduled_changes.call() == 1
    assert apply_due_scheduled_changes.call() == 0
    membership.refresh_from_db()
    assert membership.plan == setup["essentials"]
    assert membership.price.plan == setup["essentials"]
    assert set(membership.members.values_list("plan_id", flat=True)) == {setup["essentials"].id}
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPLIED
    history = StatusChange.objects.filter(membership=membership, action="change_plan")
    assert [(h.effective_on, h.reason) for h in history] == [
        (date(2026, 3, 1), "Active Care to Essentials")
    ]
    assert membership_card(membership=membership).scheduled_changes == ()


def test_a_revoked_change_never_applies(setup, admin, front_desk):
    membership = setup["membership"]
    change = scheduled(
        lifecycle.membership_downgrade(
            actor=admin,
            membership=membership,
            plan=setup["essentials"],
            effective_on=date(2026, 2, 20),
        )
    )
    scheduled_change_revoke(actor=front_desk, change=change)
    assert (change.status, change.revoked_by) == (ChangeStatus.REVOKED, front_desk)
    freeze_on(date(2026, 3, 1))
    assert apply_due_scheduled_changes.call() == 0
    membership.refresh_from_db()
    assert membership.plan == setup["active_care"]
    before = snapshot()
    with pytest.raises(Conflict, match="only a scheduled change can be revoked"):
        scheduled_change_revoke(actor=front_desk, change=change)
    assert snapshot() == before


def test_a_second_schedule_of_the_same_kind_is_refused(setup, admin):
    membership = setup["membership"]
    reason = make_reason()
    lifecycle.membership_cancel(
        actor=admin, membership=membership, reason=reason, at_period_end=True
    )
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.membership_cancel(
            actor=admin, membership=membership, reason=reason, at_period_end=True
        )
    assert "already scheduled for 2026-03-01" in refused.value.errors[0].message
    assert snapshot() == before


def test_cancel_at_period_end_keeps_covering_until_then_and_cancelling_twice_fails(setup, admin):
    membership = setup["membership"]
    reason = make_reason()
    lifecycle.membership_cancel(
        actor=admin, membership=membership, reason=reason, note="Relocating", at_period_end=True
    )
    membership.refresh_from_db()
    assert membership.status == "active"
    assert membership_card(membership=membership).warning == (
        "Ending: cancelled from 2026-03-01; covered until then."
    )

    freeze_on(date(2026, 3, 1))
    assert apply_due_scheduled_changes.call() == 1
    membership.refresh_from_db()
    assert (membership.status, membership.cancelled_on) == ("cancelled", date(2026, 3, 1))
    assert membership.cancellation_reason == reason
    assert membership.cancellation_note == "Relocating"
    assert set(membership.members.values_list("left_on", flat=True)) == {date(2026, 3, 1)}

    before = snapshot()
    with pytest.raises(CareloopError, match="cancelled cannot cancel") as refused:
        lifecycle.membership_cancel(actor=admin, membership=membership, reason=reason)
    assert refused.value.code == "illegal_transition"
    assert snapshot() == before


def test_cancelling_needs_a_reason_from_the_list(setup, admin):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.membership_cancel(actor=admin, membership=setup["membership"], reason=None)
    assert refused.value.errors[0].field == "reason"
    assert snapshot() == before


def test_interval_change_moves_the_anchor_to_the_change_day(setup, admin):
    membership = setup["membership"]
    lifecycle.membership_change_interval(
        actor=admin, membership=membership, interval=Interval.QUARTERLY
    )
    membership.refresh_from_db()
    assert (membership.interval, membership.anchor_date, membership.anchor_day) == (
        "quarterly",
        date(2026, 2, 10),
        10,
    )
    assert membership.price.interval == "quarterly"
    card = membership_card(membership=membership)
    assert card.next_renewal == date(2026, 5, 10)


def test_a_price_change_keeps_the_old_price_until_the_period_start_after_its_date(
    setup, admin, front_desk
):
    membership = setup["membership"]
    old_price = membership.price
    new_price = new_price_version(setup["active_care"], Interval.MONTHLY, 25_000)
    outcome = lifecycle.membership_change_price(
        actor=admin,
        membership=membership,
        price=new_price,
        effective_on=date(2026, 3, 15),
        notice_on=date(2026, 2, 10),
    )
    assert scheduled(outcome).effective_on == date(2026, 4, 1)
    assert scheduled(outcome).notice_on == date(2026, 2, 10)

    freeze_on(date(2026, 3, 31))
    apply_due_scheduled_changes.call()
    membership.refresh_from_db()
    assert membership.price == old_price
    freeze_on(date(2026, 4, 1))
    assert apply_due_scheduled_changes.call() == 1
    membership.refresh_from_db()
    assert membership.price == new_price


def test_only_an_admin_changes_an_existing_members_price(setup, front_desk):
    new_price = new_price_version(setup["active_care"], Interval.MONTHLY, 25_000)
    before = snapshot()
    with pytest.raises(CareloopError, match="Only an admin"):
        lifecycle.membership_change_price(
            actor=front_desk,
            membership=setup["membership"],
            price=new_price,
            effective_on=date(2026, 3, 1),
            notice_on=date(2026, 2, 10),
        )
    assert snapshot() == before


def test_a_pause_schedules_its_resume_which_the_job_applies(setup, admin):
    membership = setup["membership"]
    lifecycle.membership_pause(actor=admin, membership=membership, resumes_on=date(2026, 4, 10))
    membership.refresh_from_db()
    assert (membership.status, membership.paused_on, membership.resumes_on) == (
        "paused",
        date(2026, 2, 10),
        date(2026, 4, 10),
    )
    resume = ScheduledChange.objects.get(membership=membership, kind="resume")
    assert resume.effective_on == date(2026, 4, 10)
    freeze_on(date(2026, 4, 10))
    assert apply_due_scheduled_changes.call() == 1
    membership.refresh_from_db()
    assert (membership.status, membership.paused_on) == ("active", None)
    assert list(
        StatusChange.objects.filter(membership=membership)
        .order_by("id")
        .values_list("action", "to_status", "effective_on")
    )[-2:] == [("pause", "paused", date(2026, 2, 10)), ("resume", "active", date(2026, 4, 10))]


def test_pausing_beyond_the_plans_longest_pause_is_refused(setup, admin):
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.membership_pause(
            actor=admin, membership=setup["membership"], resumes_on=date(2026, 6, 1)
        )
    assert refused.value.errors[0].code == "pause_too_long"
    assert "at most 3 months: resume on 2026-05-10 or earlier" in refused.value.errors[0].message
    assert snapshot() == before


def test_a_plan_without_pauses_refuses_to_pause(admin, front_desk, patient_ann):
    freeze_on(date(2026, 1, 1))
    plan = make_plan(code="no-pause", rank=1, pause_allowed=False)
    membership = enroll(front_desk, plan, patient_ann)
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.membership_pause(actor=admin, membership=membership)
    assert refused.value.errors[0].code == "pause_not_allowed"
    assert snapshot() == before


def test_resuming_what_is_not_paused_is_refused(setup, admin):
    before = snapshot()
    with pytest.raises(CareloopError, match="active cannot resume") as refused:
        lifecycle.membership_resume(actor=admin, membership=setup["membership"])
    assert refused.value.code == "illegal_transition"
    assert snapshot() == before


def test_the_resume_of_a_limited_pause_cannot_be_revoked(setup, admin):
    lifecycle.membership_pause(actor=admin, membership=setup["membership"])
    resume = ScheduledChange.objects.get(kind="resume")
    assert resume.effective_on == date(2026, 5, 10)
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        scheduled_change_revoke(actor=admin, change=resume)
    assert refused.value.errors[0].code == "pause_too_long"
    assert snapshot() == before


def test_a_change_that_no_longer_fits_is_skipped_not_retried(setup, admin, front_desk):
    membership = setup["membership"]
    change = scheduled(
        lifecycle.membership_add_member(
            actor=front_desk,
            membership=membership,
            patient=setup["child"],
            role=MemberRole.CHILD,
            effective_on=date(2026, 2, 20),
        )
    )
    lifecycle.membership_mark_past_due(actor=admin, membership=membership)
    freeze_on(date(2026, 2, 20))
    assert apply_due_scheduled_changes.call() == 0
    change.refresh_from_db()
    assert change.status == ChangeStatus.REVOKED
    assert not membership.members.filter(patient=setup["child"]).exists()
    assert apply_due_scheduled_changes.call() == 0


def test_adding_and_removing_members_now(setup, admin):
    membership = setup["membership"]
    lifecycle.membership_add_member(
        actor=admin, membership=membership, patient=setup["child"], role=MemberRole.CHILD
    )
    lifecycle.membership_remove_member(actor=admin, membership=membership, patient=setup["partner"])
    open_members = membership.members.filter(left_on__isnull=True)
    assert sorted(open_members.values_list("patient_id", flat=True)) == sorted(
        [setup["head"].id, setup["child"].id]
    )
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        lifecycle.membership_remove_member(
            actor=admin, membership=membership, patient=setup["head"]
        )
    assert refused.value.errors[0].code == "primary_member"
    assert snapshot() == before


def test_reactivating_covers_the_members_again_unless_another_tier_took_them(
    setup, admin, front_desk
):
    membership = setup["membership"]
    lifecycle.membership_cancel(actor=admin, membership=membership, reason=make_reason())
    other = enroll(front_desk, setup["essentials"], setup["partner"], start=date(2026, 2, 10))
    before = snapshot()
    with pytest.raises(CareloopError, match="already covered by Essentials") as refused:
        lifecycle.membership_reactivate(actor=admin, membership=membership)
    assert refused.value.code == "already_covered"
    assert snapshot() == before

    lifecycle.membership_cancel(actor=admin, membership=other, reason=make_reason())
    lifecycle.membership_reactivate(actor=admin, membership=membership)
    membership.refresh_from_db()
    assert membership.status == "active"
    assert membership.cancelled_on is None
    assert sorted(
        membership.members.filter(left_on__isnull=True).values_list("patient_id", flat=True)
    ) == sorted([setup["head"].id, setup["partner"].id])
