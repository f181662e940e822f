"""The admin's scheduling settings page: the booking policy, locations, providers' hours and
breaks, time off and appointment types, each added through the calendar services, which
check every field and change nothing when one is wrong."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.scheduling.models import (
    AppointmentType,
    Break,
    Location,
    PriorityCapacity,
    TimeOff,
    WorkingHours,
)
from careloop.scheduling.selectors.effects import lapsed_membership_booking
from careloop.scheduling.services import calendar
from careloop.scheduling.services.reminders import reminder_hours
from careloop.web.decorators import staff_view
from careloop.web.staff.memberships.forms import show_errors
from careloop.web.staff.patients.views.common import acting_user
from careloop.web.staff.scheduling.forms import (
    HoursForm,
    LocationForm,
    PolicyForm,
    PriorityForm,
    TimeOffForm,
    TypeForm,
    TypePlansForm,
)

FORMS: dict[str, type[forms.Form]] = {
    "policy": PolicyForm,
    "location": LocationForm,
    "hours": HoursForm,
    "time_off": TimeOffForm,
    "type": TypeForm,
    "priority": PriorityForm,
    "type_plans": TypePlansForm,
}


def _aware(moment: datetime) -> datetime:
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=clock.clinic_zone())


def _save(user: User, kind: str, data: dict[str, Any]) -> str:
    """Apply one submitted form through its service; the message to show."""
    if kind == "policy":
        calendar.scheduling_settings_update(actor=user, **data)
        return "Booking policy saved."
    if kind == "location":
        calendar.location_create(actor=user, **data)
        return f"Location {data['name']} added."
    if kind == "hours":
        add: Callable[..., Any] = (
            calendar.break_add if data.pop("is_break") else calendar.working_hours_add
        )
        add(
            actor=user,
            provider=User.objects.get(pk=data.pop("provider")),
            location=Location.objects.get(pk=data.pop("location")),
            **data,
        )
        return "Hours saved."
    if kind == "time_off":
        calendar.time_off_add(
            actor=user,
            provider=User.objects.get(pk=data["provider"]),
            start_at=_aware(data["start_at"]),
            end_at=_aware(data["end_at"]),
            reason=data["reason"],
        )
        return "Time off recorded. Visits already booked then are left for you to move."
    if kind == "priority":
        calendar.priority_capacity_add(actor=user, **data)
        return f"Slots are now held under {data['name'].strip()}."
    if kind == "type_plans":
        kind_row = AppointmentType.objects.get(pk=data["appointment_type"])
        calendar.appointment_type_plans_set(
            actor=user, appointment_type=kind_row, plan_ids=data["plan_ids"]
        )
        return f"Who may book {kind_row.name} is saved."
    data["late_cancel_fee"] = data["late_cancel_fee"] or 0
    data["no_show_fee"] = data["no_show_fee"] or 0
    calendar.appointment_type_create(actor=user, **data)
    return f"Appointment type {data['name']} added."


@require_POST
@staff_view(Capability.CLINIC_CONFIGURE)
def priority_rule_stop(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = PriorityCapacity.objects.filter(pk=rule_id).first()
    if rule is None:
        raise Http404("No such priority rule.")
    calendar.priority_capacity_stop(actor=acting_user(request), rule=rule)
    messages.success(request, f"{rule.name} stopped: its slots are open to everyone.")
    return redirect("staff:scheduling_settings")


@staff_view(Capability.CLINIC_CONFIGURE)
def scheduling_settings(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    bound: dict[str, forms.Form] = {}
    if request.method == "POST":
        kind = request.POST.get("form", "")
        form_class = FORMS.get(kind)
        if form_class is not None:
            form = form_class(request.POST, prefix=kind)
            if form.is_valid():
                try:
                    messages.success(request, _save(user, kind, dict(form.cleaned_data)))
                    return redirect("staff:scheduling_settings")
                except ValidationFailed as error:
                    show_errors(form, error)
            bound[kind] = form
    policy = {
        "reminder_hours": ", ".join(str(hours) for hours in sorted(reminder_hours(), reverse=True)),
        "lapsed_membership_booking": lapsed_membership_booking().value,
    }
    forms_shown = {
        kind: bound.get(kind)
        or form_class(prefix=kind, initial=policy if kind == "policy" else None)
        for kind, form_class in FORMS.items()
    }
    now = clock.now()
    return render(
        request,
        "staff/scheduling/settings.html",
        {
            "forms": forms_shown,
            "locations": Location.objects.order_by("name"),
            "hours": WorkingHours.objects.select_related("provider", "location").order_by(
                "provider__last_name", "weekday", "start_time"
            ),
            "breaks": Break.objects.select_related("provider", "location").order_by(
                "provider__last_name", "weekday", "start_time"
            ),
            "time_off": TimeOff.objects.filter(end_at__gt=now)
            .select_related("provider")
            .order_by("start_at"),
            "types": AppointmentType.objects.prefetch_related("plans_allowed").order_by("name"),
            "rules": PriorityCapacity.objects.filter(active=True).prefetch_related("plans"),
            "can_configure": True,
        },
    )
