"""Paused covers nothing, past due follows the clinic policy, closing releases holds."""

from datetime import UTC, date, datetime

import pytest

from careloop.core import clock
from careloop.memberships.errors import NotCovered
from careloop.memberships.models import EntitlementEntry, EntryKind, MembershipStatus
from careloop.memberships.services.entitlements import (
    entitlement_close_membership,
    entitlement_consume,
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
DAY = date(2027, 1, 12)


@pytest.fixture(autouse=True)
def _today():
    clock.freeze(datetime(2027, 1, 10, 18, tzinfo=UTC))


@pytest.fixture
def setup(patient_ann):
    plan = make_plan()
    service = make_service()
    add_benefit(plan, service, allowance=2)
    return make_membership(plan=plan, members=[patient_ann]), service


def _hold(patient, service, source_id, on=DAY):
    return entitlement_hold(
        actor=None,
        patient=patient,
        service=service,
        on=on,
        source_type="appointment",
        source_id=source_id,
    )


def test_a_paused_membership_covers_nothing_and_changes_nothing(setup, patient_ann):
    membership, service = setup
    set_status(membership, MembershipStatus.PAUSED)

    with pytest.raises(NotCovered, match="paused"):
        _hold(patient_ann, service, "a1")
    with pytest.raises(NotCovered):
        entitlement_consume(
            actor=None,
            patient=patient_ann,
            service=service,
            on=DAY,
            source_type="appointment",
            source_id="a1",
        )
    assert not EntitlementEntry.objects.exists()


def test_past_due_keeps_covering_when_the_clinic_keeps_coverage(setup, patient_ann):
    membership, service = setup
    set_past_due_coverage("keep")
    set_status(membership, MembershipStatus.PAST_DUE)

    assert _hold(patient_ann, service, "a1").kind == EntryKind.HOLD


def test_past_due_covers_nothing_when_the_clinic_says_so(setup, patient_ann):
    membership, service = setup
    set_past_due_coverage("none")
    set_status(membership, MembershipStatus.PAST_DUE)

    with pytest.raises(NotCovered, match="past due"):
        _hold(patient_ann, service, "a1")
    assert not EntitlementEntry.objects.exists()


def test_a_patient_who_is_not_a_member_is_not_covered(setup, patient_bob):
    with pytest.raises(NotCovered, match="not a member"):
        _hold(patient_bob, setup[1], "a1")


def test_closing_a_membership_releases_holds_from_the_end_of_coverage(setup, patient_ann):
    membership, service = setup
    before = _hold(patient_ann, service, "before", on=date(2027, 1, 11))
    after = _hold(patient_ann, service, "after", on=date(2027, 1, 20))

    entitlement_close_membership(membership=membership, on=date(2027, 1, 15))
    entitlement_close_membership(membership=membership, on=date(2027, 1, 15))

    releases = EntitlementEntry.objects.filter(kind=EntryKind.RELEASE)
    assert [release.settles_id for release in releases] == [after.id]
    assert not before.settled_by.exists()
