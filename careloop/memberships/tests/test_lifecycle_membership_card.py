"""The chart's membership card and the covering-membership lookup."""

from datetime import date

import pytest

from careloop.memberships.models import MemberRole, MembershipSettings
from careloop.memberships.periods import Period
from careloop.memberships.selectors.memberships import (
    membership_card,
    membership_card_for_patient,
    membership_for_patient,
)
from careloop.memberships.services import lifecycle
from careloop.memberships.tasks import apply_due_scheduled_changes
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    give_visits,
    make_plan,
    make_reason,
)


@pytest.fixture
def household(front_desk):
    freeze_on(date(2026, 1, 15))
    plan = make_plan(code="active-care", rank=2, name="Active Care", monthly=20_000)
    give_visits(plan, per_month=2)
    head, partner, child = family()
    membership = enroll(
        front_desk,
        plan,
        head,
        (partner, MemberRole.ADULT),
        (child, MemberRole.CHILD),
        start=date(2026, 1, 15),
    )
    return membership, head, partner, child


def test_the_card_shows_plan_payer_members_period_renewal_and_benefits(household):
    membership, head, partner, child = household
    freeze_on(date(2026, 2, 20))
    card = membership_card_for_patient(patient=child)
    assert card is not None
    assert card.membership_id == membership.pk
    assert (card.plan_name, card.status_label, card.warning, card.covering) == (
        "Active Care",
        "Active",
        None,
        True,
    )
    assert card.payer_name == head.full_name
    assert [(m.name, m.role_label) for m in card.members] == [
        (head.full_name, "Primary member"),
        (partner.full_name, "Additional adult"),
        (child.full_name, "Child"),
    ]
    assert card.price_text == "$350.00 monthly"
    assert card.current_period == Period(date(2026, 2, 15), date(2026, 3, 15))
    assert card.next_renewal == date(2026, 3, 15)
    assert [(b.service_name, b.allowance_text) for b in card.benefits] == [
        ("Provider visit", "2 a month")
    ]


@pytest.mark.parametrize(
    ("keep", "expected"),
    [
        ("keep", "Payment is past due. The clinic keeps covering members meanwhile."),
        ("none", "Payment is past due: nothing is covered until it is paid."),
    ],
)
def test_a_past_due_card_warns_with_the_clinics_policy(household, billing, keep, expected):
    membership = household[0]
    MembershipSettings.objects.update_or_create(id=1, defaults={"past_due_coverage": keep})
    lifecycle.membership_mark_past_due(actor=billing, membership=membership)
    card = membership_card(membership=membership)
    assert card.warning == expected
    assert card.covering is (keep == "keep")


def test_a_paused_card_says_when_it_resumes(household, admin):
    membership = household[0]
    lifecycle.membership_pause(actor=admin, membership=membership, resumes_on=date(2026, 3, 1))
    card = membership_card(membership=membership)
    assert card.warning == (
        "Paused since 2026-01-15, resumes on 2026-03-01. Nothing is covered while paused."
    )
    assert [c.summary for c in card.scheduled_changes] == ["Resume"]


def test_after_cancellation_the_patient_has_no_membership(household, admin):
    membership, head, _partner, _child = household
    lifecycle.membership_cancel(
        actor=admin, membership=membership, reason=make_reason(), effective_on=date(2026, 1, 20)
    )
    assert membership_for_patient(patient=head, on=date(2026, 1, 25)) == membership
    freeze_on(date(2026, 1, 20))
    assert apply_due_scheduled_changes.call() == 1
    assert membership_for_patient(patient=head, on=date(2026, 1, 19)) == membership
    assert membership_for_patient(patient=head, on=date(2026, 1, 20)) is None
    assert membership_card_for_patient(patient=head) is None


def test_the_card_shows_each_members_use_and_what_is_left(household, front_desk):
    from careloop.memberships.services.entitlements import entitlement_consume

    membership, head, partner, child = household
    freeze_on(date(2026, 1, 20))
    visit = membership.plan.benefits.get().service
    entitlement_consume(
        actor=front_desk,
        patient=partner,
        service=visit,
        on=date(2026, 1, 20),
        source_type="appointment",
        source_id="card-1",
    )
    card = membership_card(membership=membership)
    balances = {b.patient_id: (b.used, b.available) for b in card.benefits[0].balances}
    assert balances == {head.id: (0, 2), partner.id: (1, 1), child.id: (0, 2)}


@pytest.mark.parametrize(
    ("allowance", "period", "shown"),
    [
        (None, "month", "Unlimited"),
        (0, "month", "Member price only"),
        (2, "quarter", "2 a quarter"),
    ],
)
def test_the_card_words_each_allowance(allowance, period, shown):
    from careloop.memberships.selectors.memberships import _allowance_text

    assert _allowance_text(allowance, period) == shown
