"""The database itself refuses a second hold or use for one source and a second settlement."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from careloop.core import clock
from careloop.memberships.models import EntitlementEntry, EntryKind
from careloop.memberships.tests.ledger_builders import (
    add_benefit,
    make_membership,
    make_plan,
    make_service,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(patient_ann):
    plan = make_plan()
    service = make_service()
    add_benefit(plan, service)
    membership = make_membership(plan=plan, members=[patient_ann])

    def write(kind, source_id="a1", **fields):
        return EntitlementEntry.objects.create(
            membership=membership,
            patient=patient_ann,
            service=service,
            kind=kind,
            quantity=1,
            period_start=date(2027, 1, 1),
            period_end=date(2027, 2, 1),
            occurred_on=date(2027, 1, 5),
            source_type="appointment",
            source_id=source_id,
            recorded_at=clock.now(),
            **fields,
        )

    return write


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (EntryKind.HOLD, EntryKind.HOLD),
        (EntryKind.CONSUME, EntryKind.CONSUME),
        (EntryKind.CONSUME, EntryKind.OVERAGE),
        (EntryKind.OVERAGE, EntryKind.OVERAGE),
    ],
)
def test_a_second_entry_for_the_same_source_is_refused(entry, first, second):
    entry(first)

    with pytest.raises(IntegrityError), transaction.atomic():
        entry(second)

    assert EntitlementEntry.objects.count() == 1


def test_a_hold_and_its_use_may_share_a_source(entry):
    hold = entry(EntryKind.HOLD)
    entry(EntryKind.CONSUME, settles=hold)

    assert EntitlementEntry.objects.count() == 2


def test_an_entry_is_settled_only_once(entry):
    hold = entry(EntryKind.HOLD)
    entry(EntryKind.RELEASE, settles=hold)

    with pytest.raises(IntegrityError), transaction.atomic():
        entry(EntryKind.CONSUME, settles=hold)


def test_a_second_grant_for_the_period_is_refused(entry):
    entry(EntryKind.GRANT, source_id="")

    with pytest.raises(IntegrityError), transaction.atomic():
        entry(EntryKind.GRANT, source_id="")
