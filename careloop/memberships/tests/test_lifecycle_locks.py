"""A lifecycle action locks the membership row only, never its plan or price rows.

Every invoice line a billing worker writes refers to a plan price, so committing it takes a
key-share lock on that row. A worker applying a scheduled change in its batch used to hold
the plan and price rows locked for update until the batch committed, and two workers
sharing a run deadlocked (found by the billing benchmark on 2026-11-29, 2 workers on
PostgreSQL). This test holds an action's transaction open and asks, from another
connection, for the lock a foreign-key check takes.
"""

import threading
from datetime import date

import pytest
from django.db import OperationalError, connection, transaction

from careloop.memberships.services.lifecycle import membership_cancel
from careloop.memberships.tests.lifecycle_builders import enroll, freeze_on, make_plan, make_reason
from careloop.testing.factories import make_patient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


# The lock a foreign-key check takes on the row an inserted row refers to.
KEY_SHARE = {
    "plan": "SELECT 1 FROM memberships_plan WHERE id = %s FOR KEY SHARE NOWAIT",
    "price": "SELECT 1 FROM memberships_planprice WHERE id = %s FOR KEY SHARE NOWAIT",
}


def _key_share_from_another_connection(row: str, pk: int) -> str:
    outcome: list[str] = []

    def probe() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(KEY_SHARE[row], [pk])
            outcome.append("free")
        except OperationalError:
            outcome.append("locked")
        finally:
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return outcome[0]


def test_an_action_leaves_the_plan_and_price_rows_free_for_foreign_key_checks(admin):
    freeze_on(date(2026, 1, 1))
    plan = make_plan(code="essentials", rank=1)
    membership = enroll(admin, plan, make_patient(given="Ann"), start=date(2026, 1, 1))
    freeze_on(date(2026, 1, 11))
    reason = make_reason()

    with transaction.atomic():
        membership_cancel(actor=admin, membership=membership, reason=reason)
        held = {
            "plan": _key_share_from_another_connection("plan", membership.plan_id),
            "price": _key_share_from_another_connection("price", membership.price_id),
        }

    assert held == {"plan": "free", "price": "free"}
