"""The page a patient reaches from a visit reminder to confirm or cancel it, without signing in.

It shows the clinic, the day and time and the place of the visit: no visit type, provider or
clinical detail. A cancellation inside the type's late-cancel window says so, and its fee,
before the patient presses the button; nothing changes once the visit has begun.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.core import clock
from careloop.core.errors import CareloopError
from careloop.scheduling.ics import visit_place
from careloop.scheduling.lifecycle import Action
from careloop.scheduling.links import appointment_from_token
from careloop.scheduling.models import Appointment, AppointmentStatus
from careloop.scheduling.services.notices import visit_moment
from careloop.scheduling.services.status import appointment_transition, is_late_cancel

CHANGEABLE = (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)
PATIENT_CANCEL_REASON = "Cancelled by the patient from the reminder link."


def _appointment(token: str) -> Appointment:
    appointment_id = appointment_from_token(token)
    found = (
        Appointment.objects.select_related("appointment_type", "location", "patient")
        .filter(pk=appointment_id)
        .first()
        if appointment_id
        else None
    )
    if found is None:
        raise Http404("This link has expired or is not valid; please call the clinic.")
    return found


def respond(request: HttpRequest, token: str) -> HttpResponse:
    appointment = _appointment(token)
    errors: list[str] = []
    done = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if clock.now() >= appointment.start_at:
            errors.append("This visit has begun; please call the clinic.")
        elif action not in (Action.CONFIRM, Action.CANCEL):
            errors.append("Choose to confirm or to cancel the visit.")
        else:
            try:
                appointment_transition(
                    actor=None,
                    appointment=appointment,
                    action=Action(action),
                    reason=PATIENT_CANCEL_REASON if action == Action.CANCEL else "",
                )
                done = action
            except CareloopError:
                errors.append(
                    "The clinic has changed this visit meanwhile; its status is below. "
                    "Please call the clinic if you need to change it."
                )
            appointment.refresh_from_db()
    upcoming = clock.now() < appointment.start_at
    kind = appointment.appointment_type
    return render(
        request,
        "visit/respond.html",
        {
            "appointment": appointment,
            "moment": visit_moment(appointment),
            "place": visit_place(appointment),
            "can_confirm": upcoming and appointment.status == AppointmentStatus.SCHEDULED,
            "can_cancel": upcoming and appointment.status in CHANGEABLE,
            "late": upcoming and is_late_cancel(appointment),
            "late_window_hours": kind.late_cancel_window_hours,
            "late_fee": kind.late_cancel_fee,
            "upcoming": upcoming,
            "done": done,
            "errors": errors,
        },
    )
