import pytest

from careloop.audit.selectors import AuditFilters, audit_actions, audit_event_page
from careloop.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_the_known_actions_are_each_action_once_in_order(admin):
    for action in ("patient.view", "auth.sign_in", "patient.view", "audit.view", "auth.sign_in"):
        audit_record(action=action, actor=admin)
    assert audit_actions() == ["audit.view", "auth.sign_in", "patient.view"]


def test_an_empty_log_knows_no_actions():
    assert audit_actions() == []


def test_a_page_reports_whether_there_is_more_on_either_side(admin):
    for _ in range(7):
        audit_record(action="patient.view", actor=admin)
    newest = audit_event_page(filters=AuditFilters(), size=3)
    assert [event.sequence for event in newest.events] == [7, 6, 5]
    assert (newest.has_newer, newest.has_older) == (False, True)
    middle = audit_event_page(filters=AuditFilters(), older_than=5, size=3)
    assert [event.sequence for event in middle.events] == [4, 3, 2]
    assert (middle.has_newer, middle.has_older) == (True, True)
    back = audit_event_page(filters=AuditFilters(), newer_than=4, size=3)
    assert [event.sequence for event in back.events] == [7, 6, 5]
    assert (back.has_newer, back.has_older) == (False, True)


def test_the_view_event_names_the_filters_used_not_their_values():
    filters = AuditFilters(username="provider_pat", patient_id=4, outcome="denied")
    assert filters.names() == ["user", "patient", "outcome"]
