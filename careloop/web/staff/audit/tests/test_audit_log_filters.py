import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent, Outcome
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


def _sequences(response):
    """The sequence numbers of the rows shown, in page order."""
    return [int(number) for number in re.findall(rb"<td>(\d+)</td>", response.content)]


def _view(viewer, **query):
    return signed_in_client(viewer).get(reverse("staff:audit_log"), query)


@pytest.fixture
def log(admin, provider, front_desk, patient_ann, patient_bob):
    """Six events across two clinic days (America/Chicago, the default clinic time zone)."""
    # 2026-03-07 23:30 in Chicago (UTC-6) is 2026-03-08 05:30 UTC.
    moments = [
        (datetime(2026, 3, 7, 15, 0, tzinfo=UTC), provider, "patient.view", patient_ann.id),
        (datetime(2026, 3, 8, 5, 30, tzinfo=UTC), provider, "patient.update", patient_ann.id),
        (datetime(2026, 3, 8, 6, 30, tzinfo=UTC), front_desk, "patient.view", patient_bob.id),
        (datetime(2026, 3, 8, 18, 0, tzinfo=UTC), admin, "auth.sign_in", None),
        (datetime(2026, 3, 9, 4, 59, tzinfo=UTC), provider, "patient.view", patient_bob.id),
        (datetime(2026, 3, 9, 6, 0, tzinfo=UTC), front_desk, "patient.view", patient_ann.id),
    ]
    for moment, actor, action, patient_id in moments:
        clock.freeze(moment)
        audit_record(action=action, actor=actor, patient_id=patient_id)
    clock.freeze(datetime(2026, 3, 9, 8, 0, tzinfo=UTC))
    audit_record(
        action="patient.view", actor=front_desk, outcome=Outcome.DENIED, patient_id=patient_ann.id
    )


def test_the_admin_sees_events_newest_first(admin, log):
    response = _view(admin)
    assert _sequences(response) == [7, 6, 5, 4, 3, 2, 1]
    assert b"Practice admin" in response.content
    assert b"Denied" in response.content


def test_times_are_shown_in_the_clinic_time_zone(admin, log):
    response = _view(admin)
    # Event 2 happened at 05:30 UTC, which is 23:30 the evening before in Chicago.
    assert b"2026-03-07 23:30:00" in response.content
    assert b"America/Chicago" in response.content


def test_it_filters_by_username(admin, provider, log):
    assert _sequences(_view(admin, user="provider_pat")) == [5, 2, 1]


def test_it_filters_by_patient_and_names_the_patient(admin, patient_bob, log):
    response = _view(admin, patient=patient_bob.id)
    assert _sequences(response) == [5, 3]
    assert b"Bob Baker" in response.content


def test_naming_the_filtered_patient_is_an_audited_read(admin, patient_bob, log):
    _view(admin, patient=patient_bob.id)
    read = AuditEvent.objects.filter(action="patient.view", actor_id=admin.id).get()
    assert read.patient_id == patient_bob.id


def test_a_patient_id_without_a_record_still_filters(admin, log):
    response = _view(admin, patient=99999)
    assert _sequences(response) == []
    assert "No patient record #99999" in response.content.decode()


def test_it_filters_by_action(admin, log):
    response = _view(admin, action="patient.update")
    assert _sequences(response) == [2]
    assert b'<option value="patient.update" selected>' in response.content


def test_it_filters_by_outcome(admin, log):
    assert _sequences(_view(admin, outcome="denied")) == [7]


def test_a_date_range_covers_whole_days_in_the_clinic_time_zone(admin, log):
    # Daylight saving starts in Chicago at 02:00 on 8 March 2026, so that day runs from 06:00
    # UTC on the 8th (CST) to 05:00 UTC on the 9th (CDT): 23 hours. Event 5, at 04:59 UTC on
    # the 9th, is 23:59 on the 8th there; event 6, at 06:00 UTC, is past midnight.
    response = _view(admin, from_date="2026-03-08", to_date="2026-03-08")
    assert _sequences(response) == [5, 4, 3]


def test_an_open_ended_range_works_from_either_side(admin, log):
    assert _sequences(_view(admin, from_date="2026-03-09")) == [7, 6]
    assert _sequences(_view(admin, to_date="2026-03-07")) == [2, 1]


def test_filters_combine(admin, patient_ann, log):
    response = _view(admin, user="front_desk_fran", patient=patient_ann.id, outcome="success")
    assert _sequences(response) == [6]
