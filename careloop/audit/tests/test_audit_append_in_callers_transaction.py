"""An audit event is appended in the caller's own transaction, without a savepoint of its
own: the change and its audit row commit together or not at all, and each append costs the
three statements it needs (lock the head, insert, move the head)."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from careloop.accounts.models import User
from careloop.audit import services
from careloop.audit.models import AuditEvent
from careloop.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_an_append_inside_a_transaction_takes_three_statements_and_no_savepoint(admin):
    audit_record(action="patient.view", actor=admin)  # the head exists from here on
    with transaction.atomic(), CaptureQueriesContext(connection) as appending:
        audit_record(action="patient.view", actor=admin)
    statements = [query["sql"] for query in appending.captured_queries]
    assert not [sql for sql in statements if "SAVEPOINT" in sql.upper()], statements
    assert len(statements) == 3, statements


def test_a_change_whose_audit_row_fails_does_not_commit(admin, monkeypatch):
    def failing(rows: object) -> None:
        raise DatabaseError("the audit table refused the row")

    monkeypatch.setattr(services, "rows_insert", failing)
    with transaction.atomic():
        User.objects.filter(pk=admin.pk).update(first_name="Changed")
        # A caller that goes on after the error cannot commit the change without its row.
        with pytest.raises(DatabaseError):
            audit_record(action="user.update", actor=admin, object_id=admin.pk)
    assert User.objects.get(pk=admin.pk).first_name != "Changed"
    assert not AuditEvent.objects.filter(action="user.update").exists()
