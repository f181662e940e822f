"""Every (status, action) pair: allowed ones record the right history, others change nothing."""

from datetime import date

import pytest

from careloop.memberships.errors import IllegalTransition
from careloop.memberships.lifecycle import Action
from careloop.memberships.models import MemberRole, Membership, MembershipStatus, StatusChange
from careloop.memberships.periods import Interval
from careloop.memberships.services import lifecycle
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    make_plan,
    make_reason,
    new_price_version,
    snapshot,
)

S = MembershipStatus
A = Action

# Written out by hand (not read from the lifecycle table) so the table itself is under test.
ALLOWED: dict[tuple[S, Action], S] = {
    (S.PENDING, A.ACTIVATE): S.ACTIVE,
    (S.PENDING, A.CANCEL): S.CANCELLED,
    (S.PENDING, A.CHANGE_PLAN): S.PENDING,
    (S.PENDING, A.CHANGE_INTERVAL): S.PENDING,
    (S.PENDING, A.ADD_MEMBER): S.PENDING,
    (S.PENDING, A.REMOVE_MEMBER): S.PENDING,
    (S.PENDING, A.CHANGE_PRICE): S.PENDING,
    (S.ACTIVE, A.MARK_PAST_DUE): S.PAST_DUE,
    (S.ACTIVE, A.PAUSE): S.PAUSED,
    (S.ACTIVE, A.CANCEL): S.CANCELLED,
    (S.ACTIVE, A.CHANGE_PLAN): S.ACTIVE,
    (S.ACTIVE, A.CHANGE_INTERVAL): S.ACTIVE,
    (S.ACTIVE, A.ADD_MEMBER): S.ACTIVE,
    (S.ACTIVE, A.REMOVE_MEMBER): S.ACTIVE,
    (S.ACTIVE, A.CHANGE_PRICE): S.ACTIVE,
    (S.PAST_DUE, A.RECOVER): S.ACTIVE,
    (S.PAST_DUE, A.CANCEL): S.CANCELLED,
    (S.PAST_DUE, A.REMOVE_MEMBER): S.PAST_DUE,
    (S.PAST_DUE, A.CHANGE_PRICE): S.PAST_DUE,
    (S.PAUSED, A.RESUME): S.ACTIVE,
    (S.PAUSED, A.CANCEL): S.CANCELLED,
    (S.PAUSED, A.ADD_MEMBER): S.PAUSED,
    (S.PAUSED, A.REMOVE_MEMBER): S.PAUSED,
    (S.PAUSED, A.CHANGE_PRICE): S.PAUSED,
    (S.CANCELLED, A.REACTIVATE): S.ACTIVE,
    (S.CANCELLED, A.END): S.ENDED,
}

PAIRS = [(status, action) for status in S for action in Action]


@pytest.fixture
def world(admin):
    freeze_on(date(2026, 1, 1))
    essentials = make_plan(code="essentials", rank=1)
    active_care = make_plan(code="active-care", rank=2)
    head, partner, child = family()
    return {
        "admin": admin,
        "essentials": essentials,
        "active_care": active_care,
        "head": head,
        "partner": partner,
        "child": child,
        "reason": make_reason(),
    }


def _membership_in(status: S, world) -> Membership:
    admin = world["admin"]
    membership = enroll(
        admin,
        world["essentials"],
        world["head"],
        (world["partner"], MemberRole.ADULT),
        active=status != S.PENDING,
    )
    freeze_on(date(2026, 3, 1))
    if status == S.PAST_DUE:
        lifecycle.membership_mark_past_due(actor=admin, membership=membership)
    if status == S.PAUSED:
        lifecycle.membership_pause(actor=admin, membership=membership)
    if status in (S.CANCELLED, S.ENDED):
        lifecycle.membership_cancel(actor=admin, membership=membership, reason=world["reason"])
    if status == S.ENDED:
        lifecycle.membership_end(actor=admin, membership=membership)
    membership.refresh_from_db()
    assert membership.status == status
    return membership


def _run(action: Action, membership: Membership, world) -> None:
    admin = world["admin"]
    simple = {
        A.ACTIVATE: lifecycle.membership_activate,
        A.MARK_PAST_DUE: lifecycle.membership_mark_past_due,
        A.RECOVER: lifecycle.membership_recover,
        A.REACTIVATE: lifecycle.membership_reactivate,
        A.END: lifecycle.membership_end,
        A.PAUSE: lifecycle.membership_pause,
        A.RESUME: lifecycle.membership_resume,
    }
    if action in simple:
        simple[action](actor=admin, membership=membership)
    elif action == A.CANCEL:
        lifecycle.membership_cancel(actor=admin, membership=membership, reason=world["reason"])
    elif action == A.CHANGE_PLAN:
        lifecycle.membership_upgrade(actor=admin, membership=membership, plan=world["active_care"])
    elif action == A.CHANGE_INTERVAL:
        lifecycle.membership_change_interval(
            actor=admin, membership=membership, interval=Interval.QUARTERLY
        )
    elif action == A.ADD_MEMBER:
        lifecycle.membership_add_member(
            actor=admin, membership=membership, patient=world["child"], role=MemberRole.CHILD
        )
    elif action == A.REMOVE_MEMBER:
        lifecycle.membership_remove_member(
            actor=admin, membership=membership, patient=world["partner"]
        )
    elif action == A.CHANGE_PRICE:
        price = new_price_version(world["essentials"], Interval.MONTHLY, 12_000)
        lifecycle.membership_change_price(
            actor=admin,
            membership=membership,
            price=price,
            effective_on=date(2026, 3, 1),
            notice_on=date(2026, 1, 15),
        )
    else:
        raise AssertionError(f"no runner for {action}")


def test_the_allowed_pairs_are_exactly_the_lifecycle_rules():
    from careloop.memberships.lifecycle import TERM_ACTIONS, TRANSITIONS

    from_table = {
        (status, action): target
        for action, moves in TRANSITIONS.items()
        for status, target in moves.items()
    }
    from_table |= {
        (status, action): status for action, statuses in TERM_ACTIONS.items() for status in statuses
    }
    assert from_table == ALLOWED


@pytest.mark.parametrize(
    ("status", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS]
)
def test_each_action_in_each_status_records_history_or_is_refused_without_change(
    status, action, world
):
    membership = _membership_in(status, world)
    history_before = StatusChange.objects.filter(membership=membership).count()
    if (status, action) in ALLOWED:
        _run(action, membership, world)
        membership.refresh_from_db()
        assert membership.status == ALLOWED[(status, action)]
        last = StatusChange.objects.filter(membership=membership).order_by("id").last()
        assert last is not None
        assert StatusChange.objects.filter(membership=membership).count() == history_before + 1
        assert (last.action, last.from_status, last.to_status, last.effective_on) == (
            action.value,
            status.value,
            ALLOWED[(status, action)].value,
            date(2026, 3, 1),
        )
        assert last.actor == world["admin"]
    else:
        before = snapshot()
        with pytest.raises(IllegalTransition) as refused:
            _run(action, membership, world)
        assert snapshot() == before
        message = refused.value.message
        assert S(status).label.lower() in message
        assert action.value.replace("_", " ") in message
