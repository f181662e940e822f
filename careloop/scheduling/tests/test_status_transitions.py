"""Appointment statuses as a state machine: allowed paths, history, audit, late cancels."""

from datetime import timedelta

import pytest

from careloop.audit.models import AuditEvent
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.scheduling.errors import IllegalTransition
from careloop.scheduling.lifecycle import TRANSITIONS, Action
from careloop.scheduling.models import AppointmentStatus as S
from careloop.scheduling.models import AppointmentStatusChange
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.services.status import (
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_confirm,
    appointment_mark_no_show,
    appointment_transition,
)
from careloop.scheduling.tests.builders import (
    TUESDAY,
    clinic_in_new_york,
    local,
    make_location,
    make_type,
    weekday_hours,
)


@pytest.fixture
def visit(front_desk, provider, patient_ann):
    """A 30-minute visit on Tuesday June 2 2026 at 10:00, late-cancel window 24 hours."""
    clinic_in_new_york()
    location = make_location()
    weekday_hours(provider, location)
    return appointment_book(
        actor=front_desk,
        patient=patient_ann,
        provider=provider,
        location=location,
        appointment_type=make_type(late_cancel_window_hours=24, late_cancel_fee=5000),
        start_at=local(TUESDAY, 10),
    )


def _history(appointment):
    return [
        (change.action, change.from_status, change.to_status, change.late)
        for change in AppointmentStatusChange.objects.filter(appointment=appointment)
    ]


def test_a_visit_goes_from_scheduled_to_completed_with_its_history_and_audit(
    front_desk, provider, visit
):
    appointment_confirm(actor=front_desk, appointment=visit)
    clock.freeze(local(TUESDAY, 9, 55))
    appointment_check_in(actor=front_desk, appointment=visit)
    appointment_complete(actor=provider, appointment=visit)

    assert visit.status == S.COMPLETED
    assert _history(visit) == [
        ("book", "", "scheduled", False),
        ("confirm", "scheduled", "confirmed", False),
        ("check_in", "confirmed", "checked_in", False),
        ("complete", "checked_in", "completed", False),
    ]
    assert list(
        AuditEvent.objects.filter(object_type="appointment").values_list("action", flat=True)
    ) == [
        "appointment.book",
        "appointment.confirm",
        "appointment.check_in",
        "appointment.complete",
    ]


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ([], Action.COMPLETE),
        ([Action.CONFIRM], Action.CONFIRM),
        ([Action.CANCEL], Action.CONFIRM),
        ([Action.CANCEL], Action.CHECK_IN),
        ([Action.CHECK_IN], Action.CANCEL),
        ([Action.CHECK_IN, Action.COMPLETE], Action.NO_SHOW),
        ([Action.NO_SHOW], Action.CANCEL),
    ],
)
def test_an_illegal_transition_is_refused_and_changes_nothing(front_desk, visit, path, action):
    clock.freeze(local(TUESDAY, 10, 5))
    for step in path:
        appointment_transition(actor=front_desk, appointment=visit, action=step)
    before = (visit.status, len(_history(visit)), AuditEvent.objects.count())

    with pytest.raises(IllegalTransition) as refused:
        appointment_transition(actor=front_desk, appointment=visit, action=action)

    visit.refresh_from_db()
    assert (visit.status, len(_history(visit)), AuditEvent.objects.count()) == before
    assert "possible only when it is" in refused.value.message


def test_every_action_is_in_the_table():
    assert set(TRANSITIONS) == set(Action)


def test_a_cancel_outside_the_window_is_not_late(front_desk, visit):
    clock.freeze(local(TUESDAY, 10) - timedelta(hours=25))

    appointment_cancel(actor=front_desk, appointment=visit, reason="Travelling")

    assert (visit.status, visit.late_cancel) == (S.CANCELLED, False)
    assert _history(visit)[-1] == ("cancel", "scheduled", "cancelled", False)


def test_a_cancel_inside_the_window_is_marked_late(front_desk, visit):
    clock.freeze(local(TUESDAY, 8))

    appointment_cancel(actor=front_desk, appointment=visit)

    assert (visit.status, visit.late_cancel) == (S.CANCELLED, True)
    assert _history(visit)[-1] == ("cancel", "scheduled", "cancelled", True)
    event = AuditEvent.objects.get(action="appointment.cancel")
    assert event.detail == {"from": "scheduled", "to": "cancelled", "late": True}


def test_a_no_show_can_be_marked_only_once_the_visit_has_started(front_desk, visit):
    clock.freeze(local(TUESDAY, 9, 50))
    with pytest.raises(ValidationFailed) as early:
        appointment_mark_no_show(actor=front_desk, appointment=visit)
    visit.refresh_from_db()
    assert visit.status == S.SCHEDULED
    assert [(error.field, error.code) for error in early.value.errors] == [("status", "too_early")]

    clock.freeze(local(TUESDAY, 10, 20))
    appointment_mark_no_show(actor=front_desk, appointment=visit)

    assert visit.status == S.NO_SHOW
