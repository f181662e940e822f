"""Rollover at each period start, per the benefit's rule; running it again writes nothing twice."""

from datetime import UTC, date, datetime

import pytest

from careloop.core import clock
from careloop.memberships.models import EntitlementEntry, EntryKind, Rollover
from careloop.memberships.selectors.balances import balance
from careloop.memberships.services.entitlements import (
    entitlement_consume,
    entitlement_grant_period,
)
from careloop.memberships.tests.ledger_builders import (
    add_benefit,
    make_membership,
    make_plan,
    make_service,
)

pytestmark = pytest.mark.django_db


def _member(patient, **rule):
    plan = make_plan()
    service = make_service()
    add_benefit(plan, service, allowance=2, **rule)
    membership = make_membership(plan=plan, members=[patient], start_date=date(2027, 1, 1))
    return membership, service


def _month(membership, month, *, uses=0, patient=None, service=None):
    """Start `month` of 2027 (clock and grant), then record `uses` uses in it."""
    clock.freeze(datetime(2027, month, 1, 18, tzinfo=UTC))
    day = date(2027, month, 1)
    entitlement_grant_period(membership=membership, on=day)
    entitlement_grant_period(membership=membership, on=day)
    for number in range(uses):
        entitlement_consume(
            actor=None,
            patient=patient,
            service=service,
            on=day,
            source_type="visit",
            source_id=f"{month}-{number}",
        )


def _at(membership, patient, service, month):
    return balance(membership=membership, patient=patient, service=service, on=date(2027, month, 1))


def test_without_rollover_unused_uses_lapse(patient_ann):
    membership, service = _member(patient_ann, rollover=Rollover.NONE)
    _month(membership, 1)
    _month(membership, 2)

    found = _at(membership, patient_ann, service, 2)
    assert (found.granted, found.rolled_over, found.available) == (2, 0, 2)
    assert not EntitlementEntry.objects.filter(kind__in=["rollover", "expire"]).exists()


def test_all_unused_uses_roll_over_and_leave_the_old_period(patient_ann):
    membership, service = _member(patient_ann, rollover=Rollover.ALL)
    _month(membership, 1, uses=1, patient=patient_ann, service=service)
    _month(membership, 2)
    _month(membership, 3)

    february = _at(membership, patient_ann, service, 2)
    january = _at(membership, patient_ann, service, 1)
    march = _at(membership, patient_ann, service, 3)
    assert (january.rolled_out, january.available) == (1, 0)
    assert (february.rolled_over, february.available, february.rolled_out) == (1, 0, 3)
    assert (march.rolled_over, march.available) == (3, 5)
    assert EntitlementEntry.objects.filter(kind=EntryKind.ROLLOVER).count() == 2


def test_rollover_up_to_a_cap_never_exceeds_it(patient_ann):
    membership, service = _member(patient_ann, rollover=Rollover.UP_TO, rollover_cap=1)
    for month in (1, 2, 3, 4):
        _month(membership, month)

    rolled = EntitlementEntry.objects.filter(kind=EntryKind.ROLLOVER)
    assert [entry.quantity for entry in rolled] == [1, 1, 1]
    assert _at(membership, patient_ann, service, 4).available == 3


def test_expiring_rollover_expires_uses_older_than_its_periods(patient_ann):
    membership, service = _member(
        patient_ann, rollover=Rollover.EXPIRING, rollover_expires_after_periods=1
    )
    _month(membership, 1)
    _month(membership, 2)
    _month(membership, 3)

    february = _at(membership, patient_ann, service, 2)
    march = _at(membership, patient_ann, service, 3)
    assert (february.rolled_over, february.expired, february.rolled_out) == (2, 2, 2)
    assert (march.rolled_over, march.available) == (2, 4)
    expiry = EntitlementEntry.objects.get(kind=EntryKind.EXPIRE)
    assert (expiry.quantity, expiry.period_start, expiry.occurred_on) == (
        2,
        date(2027, 2, 1),
        date(2027, 3, 1),
    )


def test_expiring_rollover_spends_the_oldest_uses_first(patient_ann):
    membership, service = _member(
        patient_ann, rollover=Rollover.EXPIRING, rollover_expires_after_periods=1
    )
    _month(membership, 1)
    _month(membership, 2, uses=3, patient=patient_ann, service=service)
    _month(membership, 3)

    # February had 2 rolled over from January and 2 granted; 3 uses spent both January uses
    # and one of February's, so nothing expires and February's last use rolls on.
    assert not EntitlementEntry.objects.filter(kind=EntryKind.EXPIRE).exists()
    assert _at(membership, patient_ann, service, 3).rolled_over == 1


def test_rollover_waits_until_the_new_period_has_begun(patient_ann):
    membership, service = _member(patient_ann, rollover=Rollover.ALL)
    _month(membership, 1)
    clock.freeze(datetime(2027, 1, 20, 18, tzinfo=UTC))
    entitlement_grant_period(membership=membership, on=date(2027, 2, 5))

    assert not EntitlementEntry.objects.filter(kind=EntryKind.ROLLOVER).exists()
    _month(membership, 2)
    assert _at(membership, patient_ann, service, 2).rolled_over == 2
