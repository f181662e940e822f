from datetime import date

import pytest

from careloop.memberships.models import EntitlementEntry, EntryKind, MemberRole
from careloop.memberships.tasks import grant_current_entitlements
from careloop.memberships.tests.lifecycle_builders import (
    enroll,
    family,
    freeze_on,
    give_visits,
    make_plan,
)

pytestmark = pytest.mark.django_db


def _grant_periods():
    return sorted(
        EntitlementEntry.objects.filter(kind=EntryKind.GRANT).values_list("period_start", flat=True)
    )


def test_the_job_grants_a_new_period_once_without_anyone_booking(front_desk):
    freeze_on(date(2026, 1, 15))
    plan = make_plan(code="active-care", rank=2, name="Active Care", monthly=20_000)
    give_visits(plan, per_month=2)
    head, partner, _child = family()
    enroll(front_desk, plan, head, (partner, MemberRole.ADULT), start=date(2026, 1, 15))
    assert _grant_periods() == [date(2026, 1, 15)] * 2

    freeze_on(date(2026, 2, 16))
    assert grant_current_entitlements.call() == 2
    assert grant_current_entitlements.call() == 0
    assert _grant_periods() == [date(2026, 1, 15)] * 2 + [date(2026, 2, 15)] * 2
