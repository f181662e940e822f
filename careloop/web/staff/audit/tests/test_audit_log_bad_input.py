import re

import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.audit.services import audit_record
from careloop.testing.clients import signed_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def some_events(provider):
    for patient_id in (1, 2, 3):
        audit_record(action="patient.view", actor=provider, patient_id=patient_id)


def _view(viewer, **query):
    return signed_in_client(viewer).get(reverse("staff:audit_log"), query)


def _alert(response):
    match = re.search(
        r'<div class="alert alert-danger" role="alert">(.*?)</div>', response.content.decode(), re.S
    )
    assert match, "expected an error message above the results"
    return match.group(1)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from_date": "08/03/2026"}, "From: enter a date as YYYY-MM-DD, for example 2026-03-08."),
        ({"to_date": "2026-02-30"}, "To: enter a date as YYYY-MM-DD, for example 2026-03-08."),
        (
            {"from_date": "2026-03-09", "to_date": "2026-03-08"},
            "To: must be the same day as From or later.",
        ),
        (
            {"patient": "ann"},
            "Patient id: enter the patient&#x27;s record number, a whole number such as 1042.",
        ),
        ({"patient": "0"}, "Patient id: record numbers start at 1."),
        (
            {"action": "patient.shred"},
            "Action: “patient.shred” is not an action in the log; choose one from the list.",
        ),
        ({"outcome": "maybe"}, "Outcome: choose success, denied or failed."),
        ({"before": "abc"}, "Page: this page link is damaged; start again from the newest."),
    ],
)
def test_bad_filter_input_names_the_field_and_shows_no_events(admin, some_events, query, message):
    response = _view(admin, **query)
    assert response.status_code == 200
    assert message in _alert(response)
    assert b'<table class="audit-log">' not in response.content


def test_bad_filter_input_changes_nothing_but_the_view_record(admin, some_events):
    before = list(AuditEvent.objects.values_list("sequence", "entry_hash"))
    _view(admin, from_date="yesterday")
    after = list(AuditEvent.objects.values_list("sequence", "entry_hash"))
    assert after[:-1] == before
    assert AuditEvent.objects.get(sequence=after[-1][0]).action == "audit.view"


def test_no_matching_events_says_so(admin, some_events):
    response = _view(admin, user="nobody_here")
    assert b"No events match these filters." in response.content
