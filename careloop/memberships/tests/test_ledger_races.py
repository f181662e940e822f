"""Eight processes race for the last use of an allowance on PostgreSQL.

Each contender is a separate process (ledger_race.py) with its own connection; all connect
first and then start together. The Membership row lock makes them queue: exactly one takes
the last use, and a source is recorded once however many processes record it.
"""

import json
import subprocess
import sys

import pytest

from careloop.core import clock
from careloop.memberships.models import EntitlementEntry, EntryKind
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
from careloop.testing.processes import careloop_environment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
CONTENDERS = 8


@pytest.fixture
def last_visit(patient_ann):
    """A member with one visit left of two this period."""
    today = clock.today()
    plan = make_plan()
    service = make_service()
    add_benefit(plan, service, allowance=2, member_price=9500)
    membership = make_membership(plan=plan, members=[patient_ann], start_date=today)
    entitlement_grant_period(membership=membership, on=today)
    entitlement_consume(
        actor=None,
        patient=patient_ann,
        service=service,
        on=today,
        source_type="appointment",
        source_id="earlier",
    )
    return membership, service, today


def _race(operation, patient, service, day, sources):
    environment = careloop_environment()
    contenders = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "careloop.memberships.tests.ledger_race",
                operation,
                str(patient.id),
                str(service.id),
                day.isoformat(),
                source,
            ],
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for source in sources
    ]
    try:
        for contender in contenders:
            assert contender.stdout is not None
            assert contender.stderr is not None
            assert contender.stdout.readline().strip() == "ready", contender.stderr.read()
        for contender in contenders:
            assert contender.stdin is not None
            contender.stdin.write("go\n")
            contender.stdin.flush()
        outcomes = []
        for contender in contenders:
            output, errors = contender.communicate(timeout=60)
            assert contender.returncode == 0, errors
            outcomes.append(json.loads(output))
        return outcomes
    finally:
        for contender in contenders:
            if contender.poll() is None:
                contender.kill()


def test_eight_bookings_racing_for_the_last_visit_leave_one_hold(last_visit, patient_ann):
    membership, service, today = last_visit

    outcomes = _race(
        "hold", patient_ann, service, today, [f"booking-{n}" for n in range(CONTENDERS)]
    )

    assert sorted(outcome["outcome"] for outcome in outcomes) == ["exhausted"] * 7 + ["hold"]
    assert EntitlementEntry.objects.filter(kind=EntryKind.HOLD).count() == 1
    found = balance(membership=membership, patient=patient_ann, service=service, on=today)
    assert (found.available, found.held, found.used) == (0, 1, 1)


def test_eight_uses_racing_for_the_last_visit_leave_one_use_and_seven_overages(
    last_visit, patient_ann
):
    membership, service, today = last_visit

    outcomes = _race(
        "consume", patient_ann, service, today, [f"visit-{n}" for n in range(CONTENDERS)]
    )

    assert sorted(outcome["outcome"] for outcome in outcomes) == ["consume"] + ["overage"] * 7
    found = balance(membership=membership, patient=patient_ann, service=service, on=today)
    assert (found.available, found.used, found.overage) == (0, 2, 7)


def test_eight_processes_recording_the_same_use_record_it_once(last_visit, patient_ann):
    membership, service, today = last_visit

    outcomes = _race("consume", patient_ann, service, today, ["visit-same"] * CONTENDERS)

    assert len({outcome["id"] for outcome in outcomes}) == 1
    assert EntitlementEntry.objects.filter(source_id="visit-same").count() == 1
    found = balance(membership=membership, patient=patient_ann, service=service, on=today)
    assert (found.available, found.used, found.overage) == (0, 2, 0)
