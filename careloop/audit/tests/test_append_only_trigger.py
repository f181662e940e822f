"""PostgreSQL refuses changes to the audit log (audit migration 0002)."""

import pytest
from django.db import DatabaseError, connection, transaction

from careloop.audit.models import AuditEvent
from careloop.audit.tests.chains import write_chain
from careloop.audit.verify import audit_verify

pytestmark = pytest.mark.postgres


def _execute_all(statements):
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _refused(*statements):
    with pytest.raises(DatabaseError) as refusal:
        _execute_all(statements)
    return str(refusal.value)


@pytest.mark.django_db
def test_an_update_is_refused(admin):
    write_chain(admin, 3)
    message = _refused("UPDATE audit_auditevent SET action = 'patient.export' WHERE sequence = 2")
    assert "The audit log is append-only: UPDATE on audit_auditevent is refused." in message
    assert AuditEvent.objects.get(sequence=2).action == "patient.view"
    assert audit_verify().intact


@pytest.mark.django_db
def test_a_delete_is_refused(admin):
    write_chain(admin, 3)
    message = _refused("DELETE FROM audit_auditevent WHERE sequence = 2")
    assert "DELETE on audit_auditevent is refused" in message
    assert AuditEvent.objects.count() == 3


@pytest.mark.django_db
def test_an_orm_update_is_refused_too(admin):
    write_chain(admin, 2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(sequence=1).update(outcome="denied")
    assert AuditEvent.objects.get(sequence=1).outcome == "success"


@pytest.mark.django_db
def test_a_truncate_is_refused_without_the_session_setting(admin):
    write_chain(admin, 2)
    message = _refused(
        "SET LOCAL careloop.allow_audit_truncate = 'off'", "TRUNCATE audit_auditevent"
    )
    assert "TRUNCATE on audit_auditevent is refused" in message
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_can_still_empty_the_log_between_tests(admin):
    """The test settings turn the truncate setting on, so the runner's flush works."""
    write_chain(admin, 2)
    with connection.cursor() as cursor:
        cursor.execute("SHOW careloop.allow_audit_truncate")
        assert cursor.fetchone() == ("on",)
        cursor.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 0
