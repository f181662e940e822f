"""What the staff scheduling pages share: reading a day, a location and a visit from a request."""

from datetime import date

from django.http import HttpRequest

from careloop.accounts.policy import Capability
from careloop.core import clock
from careloop.core.errors import NotFound
from careloop.patients.access import access_patient
from careloop.scheduling.models import Appointment, Location
from careloop.web.staff.patients.views.common import acting_user

# What a booking means for the membership (BookingOutcome), in staff words.
COVERAGE_LABELS = {
    "covered": "Covered by the plan",
    "member_price": "Beyond the allowance, at the member price",
    "self_pay": "Self-pay",
    "no_charge": "Uses no plan service",
    "not_allowed_for_plan": "Not allowed for this plan",
    "members_only": "For members only",
    "membership_past_due": "The membership is past due",
    "membership_paused": "The membership is paused",
}


def day_param(request: HttpRequest, name: str = "day") -> date:
    """The date in the query (YYYY-MM-DD), or the clinic's today when missing or malformed."""
    try:
        return date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return clock.today()


def location_param(request: HttpRequest) -> Location | None:
    locations = Location.objects.filter(active=True).order_by("name")
    chosen = request.GET.get("location", "")
    found = locations.filter(pk=int(chosen)).first() if chosen.isdigit() else None
    return found or locations.first()


def visit_for(request: HttpRequest, appointment_id: int, action: str) -> Appointment:
    """The visit, after checking (and auditing) the viewer may see its patient."""
    visit = (
        Appointment.objects.select_related(
            "patient",
            "provider",
            "location",
            "appointment_type",
            "series",
            "membership__plan",
            "care_task__care_activity",
        )
        .filter(pk=appointment_id)
        .first()
    )
    if visit is None:
        raise NotFound("No such visit.")
    access_patient(
        acting_user(request), visit.patient_id, capability=Capability.SCHEDULE_VIEW, action=action
    )
    return visit
