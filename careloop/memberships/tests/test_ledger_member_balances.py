"""The membership card's balances: every benefit for every member, from one query."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.core import clock
from careloop.memberships.selectors.balances import balance, member_balances
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
)

pytestmark = pytest.mark.django_db
DAY = date(2027, 1, 12)


def test_member_balances_match_each_single_balance(patient_ann, patient_bob):
    clock.freeze(datetime(2027, 1, 10, 18, tzinfo=UTC))
    plan = make_plan()
    visit = make_service(name="Provider visit")
    labs = make_service(name="Lab panel")
    coaching = make_service(name="Coaching session")
    add_benefit(plan, visit, allowance=2)
    add_benefit(plan, labs, allowance=1, allowance_period="quarter")
    add_benefit(plan, coaching, allowance=None)
    membership = make_membership(plan=plan, members=[patient_ann, patient_bob])
    entitlement_grant_period(membership=membership, on=DAY)
    entitlement_hold(
        actor=None,
        patient=patient_ann,
        service=visit,
        on=DAY,
        source_type="appointment",
        source_id="v1",
    )
    entitlement_consume(
        actor=None,
        patient=patient_bob,
        service=labs,
        on=DAY,
        source_type="lab_order",
        source_id="l1",
    )
    entitlement_consume(
        actor=None,
        patient=patient_bob,
        service=coaching,
        on=DAY,
        source_type="session",
        source_id="c1",
    )

    with CaptureQueriesContext(connection) as queries:
        rows = member_balances(membership=membership, on=DAY)
    assert len(queries) == 3  # benefits, members, and one aggregate over the ledger

    summary = [
        (row.patient_id, row.benefit.service.name, row.balance.available, row.balance.used)
        for row in rows
    ]
    assert summary == [
        (patient_ann.id, "Coaching session", None, 0),
        (patient_ann.id, "Lab panel", 1, 0),
        (patient_ann.id, "Provider visit", 1, 0),
        (patient_bob.id, "Coaching session", None, 1),
        (patient_bob.id, "Lab panel", 0, 1),
        (patient_bob.id, "Provider visit", 2, 0),
    ]
    patients = {patient_ann.id: patient_ann, patient_bob.id: patient_bob}
    for row in rows:
        assert row.balance == balance(
            membership=membership,
            patient=patients[row.patient_id],
            service=row.benefit.service,
            on=DAY,
        )
