from datetime import UTC, datetime

import pytest

from careloop.audit.context import current_ip
from careloop.audit.services import audit_record
from careloop.audit.tests.chains import write_chain
from careloop.audit.verify import audit_verify
from careloop.core import clock

pytestmark = pytest.mark.django_db


def test_an_empty_log_is_intact():
    report = audit_verify()
    assert (report.intact, report.events_checked, report.problems) == (True, 0, [])


def test_a_chain_written_by_audit_record_is_intact(admin):
    write_chain(admin, 7)
    report = audit_verify()
    assert report.intact
    assert (report.events_checked, report.first_sequence, report.last_sequence) == (7, 1, 7)


def test_it_walks_across_batch_boundaries(admin):
    write_chain(admin, 7)
    report = audit_verify(batch_size=2)
    assert (report.intact, report.events_checked) == (True, 7)


def test_details_addresses_and_accents_survive_the_round_trip(admin):
    token = current_ip.set("2001:DB8:0:0::1")
    try:
        audit_record(
            action="patient.update",
            actor=admin,
            patient_id=3,
            object_type="patient",
            object_id="Zoë",
            detail={"fields": ["email", "mobile_phone"], "nested": {"b": 1.5, "a": None}},
        )
    finally:
        current_ip.reset(token)
    report = audit_verify()
    assert report.intact, report.problems


def test_it_can_start_part_way_along_the_chain(admin):
    write_chain(admin, 6)
    report = audit_verify(from_sequence=4)
    assert (report.intact, report.events_checked, report.first_sequence) == (True, 3, 4)


def test_it_refuses_a_starting_sequence_below_one():
    with pytest.raises(ValueError, match="starts at 1"):
        audit_verify(from_sequence=0)


def test_an_event_on_a_whole_second_verifies(admin):
    # SQLite stores such a time without a fraction ("2026-03-08 07:30:00"); the walk must
    # still rebuild ".000000" for the hash.
    clock.freeze(datetime(2026, 3, 8, 7, 30, tzinfo=UTC))
    audit_record(action="auth.sign_in", actor=admin)
    assert audit_verify().intact
