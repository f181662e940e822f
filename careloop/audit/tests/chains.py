"""Builders for audit verification tests: a short chain written the normal way."""

from careloop.accounts.models import User
from careloop.audit.models import AuditEvent
from careloop.audit.services import audit_record


def write_chain(actor: User, count: int = 5) -> list[AuditEvent]:
    for number in range(1, count + 1):
        audit_record(action="patient.view", actor=actor, patient_id=number, object_id=number)
    return list(AuditEvent.objects.order_by("sequence"))


def swap_columns(first: int, second: int, columns: list[str]) -> None:
    """Exchange `columns` between the events at two sequences, as a raw edit would."""
    one = AuditEvent.objects.filter(sequence=first).values(*columns).get()
    other = AuditEvent.objects.filter(sequence=second).values(*columns).get()
    AuditEvent.objects.filter(sequence=first).update(**other)
    AuditEvent.objects.filter(sequence=second).update(**one)
