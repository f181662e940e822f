"""Staff calendars: a location's day across providers, a provider's week, and one visit with
its status actions."""

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from careloop.accounts.policy import Capability, has_capability
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import CareloopError, ValidationFailed
from careloop.scheduling.lifecycle import TRANSITIONS, Action
from careloop.scheduling.models import AppointmentStatus, Location
from careloop.scheduling.selectors.agenda import bookable_staff, location_day, provider_week
from careloop.scheduling.selectors.calendars import location_zone
from careloop.scheduling.services.series_changes import Scope, series_cancel
from careloop.scheduling.services.status import appointment_transition, is_late_cancel
from careloop.web.decorators import staff_view
from careloop.web.staff.patients.views.common import acting_user
from careloop.web.staff.scheduling.common import (
    COVERAGE_LABELS,
    day_param,
    location_param,
    visit_for,
)

ACTION_LABELS = {
    Action.CONFIRM: "Confirm",
    Action.CHECK_IN: "Check in",
    Action.COMPLETE: "Complete",
    Action.CANCEL: "Cancel visit",
    Action.NO_SHOW: "No-show",
}


@staff_view(Capability.SCHEDULE_VIEW)
def schedule_day(request: HttpRequest) -> HttpResponse:
    day = day_param(request)
    location = location_param(request)
    columns = []
    if location is not None:
        columns = location_day(location, day, location_zone(location))
        audit_record(
            action="schedule.day_view",
            actor=acting_user(request),
            object_type="location",
            object_id=location.pk,
            detail={"day": day.isoformat()},
        )
    return render(
        request,
        "staff/scheduling/day.html",
        {
            "day": day,
            "previous": day - timedelta(days=1),
            "next": day + timedelta(days=1),
            "location": location,
            "locations": Location.objects.filter(active=True).order_by("name"),
            "columns": columns,
            "zone": location_zone(location) if location is not None else clock.clinic_zone(),
            "can_configure": has_capability(acting_user(request), Capability.CLINIC_CONFIGURE),
        },
    )


@staff_view(Capability.SCHEDULE_VIEW)
def schedule_week(request: HttpRequest) -> HttpResponse:
    staff = bookable_staff()
    chosen = request.GET.get("provider", "")
    user = acting_user(request)
    provider = next((person for person in staff if str(person.pk) == chosen), None)
    if provider is None:
        provider = user if user in staff else (staff[0] if staff else None)
    day = day_param(request, "start")
    monday = day - timedelta(days=day.weekday())
    zone = clock.clinic_zone()
    days = provider_week(provider, monday, zone) if provider is not None else []
    if provider is not None:
        audit_record(
            action="schedule.week_view",
            actor=user,
            object_type="user",
            object_id=provider.pk,
            detail={"week": monday.isoformat()},
        )
    return render(
        request,
        "staff/scheduling/week.html",
        {
            "provider": provider,
            "staff": staff,
            "monday": monday,
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "days": days,
            "zone": zone,
            "can_configure": has_capability(user, Capability.CLINIC_CONFIGURE),
        },
    )


@staff_view(Capability.SCHEDULE_VIEW)
def visit_detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    visit = visit_for(request, appointment_id, "appointment.view")
    user = acting_user(request)
    status = AppointmentStatus(visit.status)
    can_act = has_capability(user, Capability.APPOINTMENT_BOOK)
    now = clock.now()
    actions = [
        (action.value, label)
        for action, label in ACTION_LABELS.items()
        if can_act
        and status in TRANSITIONS[action]
        and not (action == Action.NO_SHOW and now < visit.start_at)
    ]
    return render(
        request,
        "staff/scheduling/visit.html",
        {
            "visit": visit,
            "coverage": COVERAGE_LABELS.get(visit.coverage, visit.coverage),
            "zone": location_zone(visit.location),
            "actions": actions,
            "late": status in TRANSITIONS[Action.CANCEL] and is_late_cancel(visit),
            "history": visit.status_changes.select_related("actor").order_by("recorded_at", "id"),
            "series_cancellable": can_act
            and visit.series_id is not None
            and status in TRANSITIONS[Action.CANCEL],
        },
    )


@require_POST
@staff_view(Capability.APPOINTMENT_BOOK)
def visit_act(request: HttpRequest, appointment_id: int) -> HttpResponse:
    visit = visit_for(request, appointment_id, "appointment.change")
    user = acting_user(request)
    reason = request.POST.get("reason", "").strip()[:500]
    action = request.POST.get("action", "")
    try:
        if action == "cancel_following":
            if visit.series is None:
                raise ValidationFailed.single("action", "This visit is not part of a series.")
            cancelled = series_cancel(
                actor=user,
                series=visit.series,
                scope=Scope.FOLLOWING,
                occurrence_index=visit.occurrence_index,
                reason=reason,
            )
            messages.success(request, f"Cancelled {len(cancelled)} visits of the series.")
        elif action in ACTION_LABELS:
            appointment_transition(
                actor=user, appointment=visit, action=Action(action), reason=reason
            )
            messages.success(request, f"{ACTION_LABELS[Action(action)]}: done.")
        else:
            raise ValidationFailed.single("action", "Choose an action the visit allows.")
    except ValidationFailed as error:
        for problem in error.errors:
            messages.error(request, problem.message)
    except CareloopError as error:
        messages.error(request, error.message)
    return redirect("staff:visit_detail", appointment_id=visit.pk)
