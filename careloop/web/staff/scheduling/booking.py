"""Booking from the staff app: search free slots for a patient, see what the visit means for
their membership before booking it, and book a recurring series with its conflicts and
alternatives shown per occurrence."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.core import clock
from careloop.core.errors import CareloopError, ValidationFailed
from careloop.patients.access import access_patient
from careloop.patients.models import Patient
from careloop.scheduling.availability import Slot
from careloop.scheduling.errors import SeriesHasConflicts
from careloop.scheduling.models import AppointmentType, Location, SeriesFrequency
from careloop.scheduling.selectors.agenda import bookable_staff
from careloop.scheduling.selectors.calendars import available_slots, location_zone
from careloop.scheduling.selectors.effects import REFUSED, booking_effect
from careloop.scheduling.series import SeriesRule
from careloop.scheduling.services.booking import appointment_book
from careloop.scheduling.services.series import OccurrenceCheck, series_book
from careloop.web.decorators import staff_view
from careloop.web.staff.patients.views.common import acting_user
from careloop.web.staff.scheduling.common import COVERAGE_LABELS
from careloop.web.staff.scheduling.forms import SeriesForm, SlotSearchForm

SLOT_LIMIT = 80


def _patient(request: HttpRequest, patient_id: int, action: str) -> Patient:
    return access_patient(
        acting_user(request), patient_id, capability=Capability.APPOINTMENT_BOOK, action=action
    )


def _row(model: Any, value: str | None) -> Any:
    return model.objects.filter(pk=int(value)).first() if value and value.isdigit() else None


def _chosen_slot(request: HttpRequest) -> tuple[User, Location, AppointmentType, datetime] | None:
    source = request.POST if request.method == "POST" else request.GET
    provider = _row(User, source.get("slot_provider"))
    location = _row(Location, source.get("slot_location"))
    kind = _row(AppointmentType, source.get("appointment_type"))
    try:
        start = datetime.fromisoformat(source.get("start", ""))
    except ValueError:
        return None
    if provider is None or location is None or kind is None or start.tzinfo is None:
        return None
    return provider, location, kind, start


@staff_view(Capability.APPOINTMENT_BOOK)
def book_visit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id, "appointment.book_form")
    user = acting_user(request)
    chosen = _chosen_slot(request)
    if request.method == "POST" and chosen is not None:
        provider, location, kind, start = chosen
        acknowledged = request.POST.get("acknowledged_price", "")
        try:
            visit = appointment_book(
                actor=user,
                patient=patient,
                provider=provider,
                location=location,
                appointment_type=kind,
                start_at=start,
                acknowledged_price=int(acknowledged) if acknowledged.isdigit() else None,
            )
        except ValidationFailed as error:
            for problem in error.errors:
                messages.error(request, problem.message)
        except CareloopError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Booked {patient.full_name}.")
            return redirect("staff:visit_detail", appointment_id=visit.pk)
    searched = "first_day" in request.GET
    form = SlotSearchForm(
        request.GET if searched else None,
        initial={"days": 7, "first_day": clock.today(), **request.GET.dict()},
    )
    slots = []
    if form.is_valid():
        data = form.cleaned_data
        kind = _row(AppointmentType, data["appointment_type"])
        first = data["first_day"]
        slots = available_slots(
            appointment_type=kind,
            first_day=first,
            last_day=first + timedelta(days=data["days"] - 1),
            provider_ids=[int(data["provider"])] if data["provider"] else None,
            location_ids=[int(data["location"])] if data["location"] else None,
            patient=patient,
        )[:SLOT_LIMIT]
    effect = None
    if chosen is not None:
        provider, location, kind, start = chosen
        effect = booking_effect(
            patient=patient, appointment_type=kind, location=location, start_at=start
        )
    return render(
        request,
        "staff/scheduling/book.html",
        {
            "patient": patient,
            "form": form,
            "slot_days": _slot_days(slots),
            "slot_count": len(slots),
            "slot_limit": SLOT_LIMIT,
            "chosen": chosen,
            "zone": location_zone(chosen[1]) if chosen is not None else clock.clinic_zone(),
            "effect": effect,
            "effect_label": COVERAGE_LABELS.get(effect.outcome, "") if effect else "",
            "refused": effect is not None and effect.outcome in REFUSED,
        },
    )


@dataclass(frozen=True)
class SlotRow:
    slot: Slot
    local_start: datetime
    provider: str
    location: str


def _slot_days(slots: list[Slot]) -> list[tuple[date, list[SlotRow]]]:
    """Free slots grouped by their local day at their location, with names to show."""
    names = {person.pk: person.display_name for person in bookable_staff()}
    places = {place.pk: place for place in Location.objects.all()}
    days: dict[date, list[SlotRow]] = {}
    for slot in slots:
        place = places[slot.location_id]
        # Naive wall-clock time at the slot's location, so templates show it as it is there.
        local_start = slot.start.astimezone(location_zone(place)).replace(tzinfo=None)
        days.setdefault(local_start.date(), []).append(
            SlotRow(slot, local_start, names.get(slot.provider_id, ""), place.name)
        )
    return list(days.items())


def _rule(data: dict[str, Any]) -> SeriesRule:
    return SeriesRule(
        frequency=SeriesFrequency(data["frequency"]),
        start_date=data["start_date"],
        local_start_time=data["local_start_time"],
        interval=data["interval"],
        count=data["count"],
        until=data["until"],
        ordinal=int(data["ordinal"]) if data["ordinal"] else None,
        weekday=data["weekday"],
    )


def _moved(request: HttpRequest) -> dict[int, datetime]:
    """The alternatives chosen for conflicting occurrences: `move-<index>` = an ISO start."""
    moved = {}
    for key in request.POST:
        index = key.removeprefix("move-")
        value = request.POST.get(key, "")
        if key.startswith("move-") and index.isdigit() and value:
            try:
                moved[int(index)] = datetime.fromisoformat(value)
            except ValueError:
                continue
    return moved


@staff_view(Capability.APPOINTMENT_BOOK)
def book_series(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Check a series (every occurrence, with alternatives for each conflict), choose an
    alternative for each, and book it whole."""
    patient = _patient(request, patient_id, "appointment.series_form")
    user = acting_user(request)
    form = SeriesForm(request.POST or None)
    checks: list[OccurrenceCheck] = []
    moved: dict[int, datetime] = {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        arguments = {
            "actor": user,
            "patient": patient,
            "provider": _row(User, data["provider"]),
            "location": _row(Location, data["location"]),
            "appointment_type": _row(AppointmentType, data["appointment_type"]),
            "rule": _rule(data),
        }
        acknowledged = request.POST.get("acknowledged_price", "")
        moved = _moved(request)
        try:
            outcome = series_book(
                **arguments,
                moved=moved,
                check_only="book" not in request.POST,
                acknowledged_price=int(acknowledged) if acknowledged.isdigit() else None,
            )
        except SeriesHasConflicts as error:
            checks = error.occurrences
            messages.error(request, error.message)
        except ValidationFailed as error:
            for problem in error.errors:
                form.add_error(
                    problem.field if problem.field in form.fields else None, problem.message
                )
        except CareloopError as error:
            messages.error(request, error.message)
        else:
            if outcome.series is not None:
                messages.success(
                    request, f"Booked {len(outcome.appointments)} visits for {patient.full_name}."
                )
                return redirect("staff:patient_chart", patient_id=patient.pk)
            checks = outcome.occurrences
    effect = None
    if checks and form.is_valid():
        effect = booking_effect(
            patient=patient,
            appointment_type=_row(AppointmentType, form.cleaned_data["appointment_type"]),
            location=_row(Location, form.cleaned_data["location"]),
            start_at=checks[0].start,
        )
    return render(
        request,
        "staff/scheduling/series.html",
        {
            "patient": patient,
            "form": form,
            "effect": effect,
            "effect_label": COVERAGE_LABELS.get(effect.outcome, "") if effect else "",
            "refused": effect is not None and effect.outcome in REFUSED,
            "checks": checks,
            "zone": (
                location_zone(_row(Location, form.cleaned_data["location"]))
                if checks and form.is_valid()
                else clock.clinic_zone()
            ),
            "moved": {index: start.isoformat() for index, start in moved.items()},
            "conflicts": [check for check in checks if not check.free],
        },
    )
