"""A billing run's batch queries use their indexes whatever PostgreSQL's statistics say.

On the first of the month most memberships are due, and the statistics say so; a table the
run fills (payment attempts) may have none yet, on a server whose autovacuum has not caught
up. The billing benchmark found both planned as whole-table scans, once per batch: 10 ms
for the claim and 15 to 30 ms for the attempts check at 100,000 memberships, and more as
the tables grew (2026-11-30). The rows here refer to nothing: inserted in the test's
transaction, they are removed before it ends, its deferred foreign keys never checked.
"""

from collections.abc import Iterator
from datetime import date

import pytest
from django.db import connection

from careloop.billing.models import PaymentAttempt
from careloop.billing.services.runs import due_batch
from careloop.core.bulk import ids_among

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ROWS = 20_000
AS_OF = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _removed_at_the_end() -> Iterator[None]:
    yield
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM billing_membershipbilling")
        cursor.execute("DELETE FROM billing_paymentattempt")


def _insert(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"rows": ROWS})


def _analyze(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")


def test_a_worker_claims_its_batch_from_the_front_of_the_index_when_most_rows_are_due() -> None:
    _insert(
        "INSERT INTO billing_membershipbilling (membership_id, account_id, next_bill_on, "
        "updated_at) SELECT n, n, DATE '2026-12-01' - (n %% 28), now() "
        "FROM generate_series(1, %(rows)s) AS n"
    )
    _analyze("billing_membershipbilling")

    plan = due_batch(AS_OF, skip=set()).explain()

    assert "membership_billing_due" in plan
    assert "Sort" not in plan
    assert "Seq Scan" not in plan


def test_a_batch_checks_its_invoices_attempts_by_index_in_a_table_never_analyzed() -> None:
    _insert(
        "INSERT INTO billing_paymentattempt (invoice_id, account_id, gateway, "
        "idempotency_key, amount, currency, trigger, status, reference, failure_code, "
        "failure_message, amount_refunded, created_at) SELECT n, n, 'sandbox', "
        "'key-' || n, 1000, 'USD', 'run', 'succeeded', '', '', '', 0, now() "
        "FROM generate_series(1, %(rows)s) AS n"
    )
    invoice_ids = list(range(ROWS - 150, ROWS - 50))

    plan = PaymentAttempt.objects.filter(ids_among("invoice_id", invoice_ids)).explain()

    assert "billing_paymentattempt_invoice_id" in plan
    assert "Seq Scan" not in plan
    found = PaymentAttempt.objects.filter(ids_among("invoice_id", invoice_ids))
    assert sorted(found.values_list("invoice_id", flat=True)) == invoice_ids
