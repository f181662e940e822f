"""What memberships add to a patient's chart: the card, "Is this covered?" and a banner badge.

Registered in careloop/web/staff/patients/chart.py.
"""

from typing import Any

from django.http import HttpRequest

from careloop.core import clock
from careloop.memberships.selectors.catalog import services_list
from careloop.patients.models import Patient
from careloop.web.staff.memberships.cards import card_context, patient_card
from careloop.web.staff.memberships.forms import CoverageForm, set_choices
from careloop.web.staff.patients.views.common import acting_user


def membership_section(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    return card_context(acting_user(request), patient_card(request, patient))


def coverage_form(data: Any = None) -> CoverageForm:
    form = CoverageForm(data, initial={"on": clock.today()})
    set_choices(
        form,
        "service",
        [("", "Choose a service…")]
        + [(str(service.id), service.name) for service in services_list(active_only=True)],
    )
    return form


def coverage_section(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    return {"form": coverage_form(), "answer": None}


def membership_badge(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    return {"card": patient_card(request, patient)}
