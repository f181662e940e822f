"""Grants: one per member, service and allowance period, on the membership's anchor."""

from datetime import UTC, date, datetime

import pytest

from careloop.core import clock
from careloop.memberships.models import EntitlementEntry, EntryKind, MembershipStatus
from careloop.memberships.services.entitlements import entitlement_grant_period
from careloop.memberships.tests.ledger_builders import (
    add_benefit,
    make_membership,
    make_plan,
    make_service,
    set_status,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    clock.freeze(datetime(2027, 1, 10, 18, tzinfo=UTC))


def test_granting_twice_writes_each_grant_once(patient_ann, patient_bob):
    plan = make_plan()
    visits, coaching = make_service(), make_service(name="Coaching session")
    add_benefit(plan, visits, allowance=2)
    add_benefit(plan, coaching, allowance=1)
    membership = make_membership(plan=plan, members=[patient_ann, patient_bob])

    first = entitlement_grant_period(membership=membership, on=date(2027, 1, 10))
    second = entitlement_grant_period(membership=membership, on=date(2027, 1, 20))

    assert len(first) == 4
    assert second == []
    grants = EntitlementEntry.objects.filter(kind=EntryKind.GRANT)
    assert sorted((g.patient_id, g.service_id, g.quantity) for g in grants) == sorted(
        [
            (patient_ann.id, visits.id, 2),
            (patient_ann.id, coaching.id, 1),
            (patient_bob.id, visits.id, 2),
            (patient_bob.id, coaching.id, 1),
        ]
    )
    assert {(g.period_start, g.period_end) for g in grants} == {
        (date(2027, 1, 1), date(2027, 2, 1))
    }


def test_periods_follow_an_anchor_on_the_31st_without_drifting(patient_ann):
    plan = make_plan()
    add_benefit(plan, make_service(), allowance=1)
    membership = make_membership(plan=plan, members=[patient_ann], start_date=date(2027, 1, 31))

    clock.freeze(datetime(2027, 4, 10, 18, tzinfo=UTC))
    for day in (date(2027, 2, 10), date(2027, 3, 10), date(2027, 4, 10)):
        entitlement_grant_period(membership=membership, on=day)

    periods = list(
        EntitlementEntry.objects.filter(kind=EntryKind.GRANT)
        .order_by("period_start")
        .values_list("period_start", "period_end")
    )
    assert periods == [
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2027, 2, 28), date(2027, 3, 31)),
        (date(2027, 3, 31), date(2027, 4, 30)),
    ]


def test_quarterly_and_term_allowances_span_their_periods(patient_ann):
    plan = make_plan()
    labs = make_service(name="Lab panel")
    iv = make_service(name="IV therapy")
    add_benefit(plan, labs, allowance=1, allowance_period="quarter")
    add_benefit(plan, iv, allowance=3, allowance_period="term")
    membership = make_membership(plan=plan, members=[patient_ann], start_date=date(2026, 12, 15))

    entitlement_grant_period(membership=membership, on=date(2027, 1, 10))

    lab = EntitlementEntry.objects.get(service=labs)
    term = EntitlementEntry.objects.get(service=iv)
    assert (lab.period_start, lab.period_end) == (date(2026, 12, 15), date(2027, 3, 15))
    assert (term.period_start, term.period_end) == (date(2026, 12, 15), date(2126, 12, 15))


def test_unlimited_benefits_need_no_grant(patient_ann):
    plan = make_plan(name="Concierge")
    add_benefit(plan, make_service(), allowance=None)
    membership = make_membership(plan=plan, members=[patient_ann])

    assert entitlement_grant_period(membership=membership, on=date(2027, 1, 10)) == []
    assert not EntitlementEntry.objects.exists()


@pytest.mark.parametrize(
    ("status", "grants"),
    [
        (MembershipStatus.PAUSED, 0),
        (MembershipStatus.PENDING, 0),
        (MembershipStatus.ENDED, 0),
        (MembershipStatus.PAST_DUE, 1),
        (MembershipStatus.ACTIVE, 1),
    ],
)
def test_only_a_covering_membership_is_granted(patient_ann, status, grants):
    plan = make_plan()
    add_benefit(plan, make_service(), allowance=2)
    membership = make_membership(plan=plan, members=[patient_ann])
    set_status(membership, status)

    entitlement_grant_period(membership=membership, on=date(2027, 1, 10))

    assert EntitlementEntry.objects.filter(kind=EntryKind.GRANT).count() == grants


def test_a_member_who_left_is_not_granted(patient_ann, patient_bob):
    plan = make_plan()
    add_benefit(plan, make_service(), allowance=2)
    membership = make_membership(plan=plan, members=[patient_ann, patient_bob])
    membership.members.filter(patient=patient_bob).update(left_on=date(2027, 1, 5))

    entitlement_grant_period(membership=membership, on=date(2027, 1, 10))

    assert list(EntitlementEntry.objects.values_list("patient_id", flat=True)) == [patient_ann.id]
