"""audit_held: events recorded during a long transaction are appended at its end, so the
chain's head is locked only for the last moment of the transaction."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from careloop.audit.models import AuditEvent
from careloop.audit.services import audit_held, audit_record
from careloop.audit.verify import audit_verify
from careloop.core import clock

pytestmark = pytest.mark.django_db


def _record(actor, number: int) -> None:
    audit_record(action="patient.view", actor=actor, patient_id=number, object_id=number)


def _stored() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence").values_list("object_id", flat=True))


def test_held_events_are_appended_when_the_block_ends_in_the_order_recorded(admin):
    first = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    second = datetime(2026, 5, 1, 9, 5, tzinfo=UTC)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as during, audit_held():
            with clock.frozen_at(first):
                _record(admin, 1)
            with clock.frozen_at(second):
                _record(admin, 2)
            assert _stored() == []
            queries_while_held = len(during.captured_queries)
        assert queries_while_held == 1  # the look at what is stored, nothing else

    assert _stored() == ["1", "2"]
    times = list(AuditEvent.objects.order_by("sequence").values_list("occurred_at", flat=True))
    assert times == [first, second]
    assert audit_verify().intact


def test_events_of_a_savepoint_that_rolled_back_are_dropped(admin):
    with transaction.atomic(), audit_held():
        _record(admin, 1)
        try:
            with transaction.atomic():
                _record(admin, 2)
                raise RuntimeError("this membership failed")
        except RuntimeError:
            pass
        with transaction.atomic():
            _record(admin, 3)

    assert _stored() == ["1", "3"]
    assert list(AuditEvent.objects.values_list("sequence", flat=True).order_by("sequence")) == [
        1,
        2,
    ]
    assert audit_verify().intact


def test_an_error_leaving_the_block_records_nothing(admin):
    def failing_batch() -> None:
        with transaction.atomic(), audit_held():
            _record(admin, 1)
            raise RuntimeError("the batch failed")

    with pytest.raises(RuntimeError):
        failing_batch()

    assert _stored() == []
    _record(admin, 2)
    assert AuditEvent.objects.get().sequence == 1


def test_an_inner_block_leaves_its_events_to_the_outer_one(admin):
    with transaction.atomic(), audit_held():
        _record(admin, 1)
        with audit_held():
            _record(admin, 2)
        assert _stored() == []
        _record(admin, 3)

    assert _stored() == ["1", "2", "3"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_is_refused(admin):
    with pytest.raises(RuntimeError, match="inside a transaction"), audit_held():
        pass


@pytest.mark.django_db(transaction=True)
def test_another_writer_is_not_kept_waiting_while_events_are_held(admin):
    """The reason for holding: a billing batch's transaction lasts seconds, and a second
    worker or a member of staff must not wait for it to record an audit event."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite has one writer at a time")
    errors: list[BaseException] = []

    def elsewhere() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '5s'")
                _record(admin, 2)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    with transaction.atomic(), audit_held():
        _record(admin, 1)
        other = threading.Thread(target=elsewhere)
        other.start()
        other.join()

    assert errors == []
    assert _stored() == ["2", "1"]
    assert audit_verify().intact
