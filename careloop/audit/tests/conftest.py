import pytest
from django.db import connection


@pytest.fixture
def tamperable_log(db):
    """Let the test edit the audit log the way someone with direct database access could.

    On PostgreSQL that means switching the append-only trigger off, inside the test's own
    transaction, so it comes back on when the test rolls back. SQLite has no trigger.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only"
            )
