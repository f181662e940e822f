""" "Is this covered?": each answer, in the words front desk reads aloud."""

from datetime import UTC, date, datetime

import pytest

from careloop.core import clock
from careloop.memberships.models import MembershipStatus, PlanKind
from careloop.memberships.selectors.coverage import CoverageOutcome, coverage_check
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
    set_past_due_coverage,
    set_status,
)

pytestmark = pytest.mark.django_db
DAY = date(2027, 3, 12)


@pytest.fixture(autouse=True)
def _today():
    clock.freeze(datetime(2027, 3, 10, 18, tzinfo=UTC))


@pytest.fixture
def active_care(patient_ann):
    plan = make_plan(name="Active Care")
    visit = make_service(name="Provider visit", price=15000)
    add_benefit(plan, visit, allowance=2, member_price=9500)
    membership = make_membership(plan=plan, members=[patient_ann], start_date=date(2027, 1, 1))
    entitlement_grant_period(membership=membership, on=DAY)
    return membership, visit


def _use(patient, service, source_id):
    entitlement_consume(
        actor=None,
        patient=patient,
        service=service,
        on=DAY,
        source_type="appointment",
        source_id=source_id,
    )


def test_covered_names_the_plan_the_allowance_and_what_is_left(active_care, patient_ann):
    membership, visit = active_care

    answer = coverage_check(patient=patient_ann, service=visit, on=DAY)

    assert answer.outcome == CoverageOutcome.COVERED
    assert answer.reason == (
        "Active Care includes 2 provider visits a month; 1 left after this one until Mar 31."
    )
    assert (answer.price, answer.left_after_use, answer.membership_id, answer.plan_name) == (
        0,
        1,
        membership.id,
        "Active Care",
    )
    assert answer.period is not None
    assert (answer.period.start, answer.period.end) == (date(2027, 3, 1), date(2027, 4, 1))


def test_covered_counts_holds_and_says_so(active_care, patient_ann):
    _, visit = active_care
    entitlement_hold(
        actor=None,
        patient=patient_ann,
        service=visit,
        on=DAY,
        source_type="appointment",
        source_id="h1",
    )

    answer = coverage_check(patient=patient_ann, service=visit, on=DAY)

    assert answer.left_after_use == 0
    assert answer.reason.endswith(
        "0 left after this one until Mar 31. 1 more is held for bookings."
    )


def test_covered_before_the_period_job_has_granted_counts_the_allowance(patient_ann):
    plan = make_plan(name="Essentials")
    visit = make_service()
    add_benefit(plan, visit, allowance=1)
    make_membership(plan=plan, members=[patient_ann], start_date=date(2027, 1, 1))

    answer = coverage_check(patient=patient_ann, service=visit, on=DAY)

    assert answer.outcome == CoverageOutcome.COVERED
    assert answer.reason == (
        "Essentials includes 1 provider visit a month; 0 left after this one until Mar 31."
    )


def test_beyond_the_allowance_the_member_price_applies(active_care, patient_ann):
    _, visit = active_care
    _use(patient_ann, visit, "a1")
    _use(patient_ann, visit, "a2")

    answer = coverage_check(patient=patient_ann, service=visit, on=DAY)

    assert (answer.outcome, answer.price) == (CoverageOutcome.MEMBER_PRICE, 9500)
    assert answer.reason == (
        "Active Care includes 2 provider visits a month, all used or held until Mar 31; "
        "this one is at the member price of $95.00."
    )


def test_unlimited_is_covered_without_a_count(patient_ann):
    plan = make_plan(name="Concierge")
    visit = make_service()
    add_benefit(plan, visit, allowance=None)
    make_membership(plan=plan, members=[patient_ann])

    answer = coverage_check(patient=patient_ann, service=visit, on=DAY)

    assert (answer.outcome, answer.unlimited, answer.left_after_use) == (
        CoverageOutcome.COVERED,
        True,
        None,
    )
    assert answer.reason == "Concierge includes unlimited provider visits."


def test_a_service_the_plan_does_not_include_is_a_la_carte(active_care, patient_ann):
    iv = make_service(name="IV therapy", price=22500)

    answer = coverage_check(patient=patient_ann, service=iv, on=DAY)

    assert (answer.outcome, answer.price) == (CoverageOutcome.NOT_COVERED, 22500)
    assert answer.reason == ("Active Care does not include IV therapy; it is $225.00 a la carte.")


def test_a_patient_who_is_not_a_member_pays_a_la_carte(active_care, patient_bob):
    _, visit = active_care

    answer = coverage_check(patient=patient_bob, service=visit, on=DAY)

    assert (answer.outcome, answer.price, answer.membership_id) == (
        CoverageOutcome.NOT_A_MEMBER,
        15000,
        None,
    )
    assert answer.reason == (
        f"{patient_bob.display_name} is not a member on Mar 12: "
        "provider visit is $150.00 a la carte."
    )


def test_a_paused_membership_says_it_is_paused(active_care, patient_ann):
    membership, visit = active_care
    set_status(membership, MembershipStatus.PAUSED)
    membership.paused_on = date(2027, 3, 3)
    membership.save()

    answer = coverage_check(patient=patient_ann, service=visit, on=DAY)

    assert (answer.outcome, answer.price) == (CoverageOutcome.NOT_COVERED, 15000)
    assert answer.reason == (
        "The Active Care membership is paused since Mar 3 and covers nothing while paused. "
        "Provider visit is $150.00 a la carte."
    )


@pytest.mark.parametrize(
    ("policy", "outcome", "phrase"),
    [
        ("keep", CoverageOutcome.COVERED, "the clinic keeps covering until it is paid"),
        ("none", CoverageOutcome.NOT_COVERED, "the clinic covers nothing while a membership"),
    ],
)
def test_past_due_follows_the_clinic_policy(active_care, patient_ann, policy, outcome, phrase):
    membership, visit = active_care
    set_past_due_coverage(policy)
    set_status(membership, MembershipStatus.PAST_DUE)

    answer = coverage_check(patient=patient_ann, service=visit, on=DAY)

    assert answer.outcome == outcome
    assert phrase in answer.reason


def test_a_program_covers_what_the_tier_has_used_up(active_care, patient_ann):
    _, visit = active_care
    _use(patient_ann, visit, "a1")
    _use(patient_ann, visit, "a2")
    program = make_plan(name="Metabolic Health", kind=PlanKind.PROGRAM)
    add_benefit(program, visit, allowance=1)
    make_membership(plan=program, members=[patient_ann], start_date=date(2027, 3, 1))

    answer = coverage_check(patient=patient_ann, service=visit, on=DAY)

    assert (answer.outcome, answer.plan_name) == (CoverageOutcome.COVERED, "Metabolic Health")
