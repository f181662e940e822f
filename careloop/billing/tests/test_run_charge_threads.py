"""A run charges in threads that each keep one database connection and close it at the end.

Opening a connection per charge cost more than the charge itself (a new PostgreSQL backend
each time); a thread now keeps its connection for all its charges, from batch to batch of
the worker's run, and every thread closes its own when the worker is done, so a run leaves
none open behind it.

Seven payers enrolled on February 1 are due on March 1; the run charges with 3 threads.
"""

import threading
from typing import Any

import pytest
from django.db.backends.signals import connection_created

from careloop.billing.models import AttemptStatus, PaymentAttempt
from careloop.billing.services.runs import billing_run
from careloop.billing.tests.run_builders import PAYS, RUN_DAY, enroll_due, essentials
from careloop.memberships.tests.lifecycle_builders import freeze_on

pytestmark = pytest.mark.django_db(transaction=True)

# Each charge waits this long at the sandbox gateway, so a batch's charges overlap and every
# one of the three threads starts (a pool reuses a thread that is already idle instead).
LATENCY_MS = 200


@pytest.mark.parametrize(
    "batch_size",
    [None, 3],
    ids=["one batch", "three batches of 3, 3 and 1: threads keep their connections"],
)
def test_three_threads_charge_seven_invoices_on_three_connections_and_close_them(
    admin, settings, batch_size
):
    plan = essentials()
    enroll_due(admin, plan, [PAYS] * 7)
    settings.BILLING_CHARGE_CONCURRENCY = 3
    if batch_size is not None:
        settings.BILLING_BATCH_SIZE = batch_size
    settings.SANDBOX_LATENCY_MS = LATENCY_MS
    main = threading.get_ident()
    opened: list[Any] = []

    def watch(sender: Any, connection: Any, **kwargs: Any) -> None:
        if threading.get_ident() != main:
            opened.append(connection)

    freeze_on(RUN_DAY)
    connection_created.connect(watch, weak=False)
    try:
        run = billing_run(as_of=RUN_DAY)
    finally:
        connection_created.disconnect(watch)

    assert run.charges_succeeded == 7
    assert (
        PaymentAttempt.objects.filter(
            invoice__period_start=RUN_DAY, status=AttemptStatus.SUCCEEDED
        ).count()
        == 7
    )
    assert len(opened) == 3
    assert [connection.connection for connection in opened] == [None, None, None]
