"""What scheduling adds to a patient's chart: their upcoming visits and links to book.

Registered in careloop/web/staff/patients/chart.py; the remaining allowance is on the
membership card beside it.
"""

from typing import Any

from django.http import HttpRequest

from careloop.accounts.policy import Capability, has_capability
from careloop.core import clock
from careloop.patients.models import Patient
from careloop.scheduling.selectors.agenda import upcoming_visits
from careloop.web.staff.patients.views.common import acting_user


def visits_section(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    return {
        "visits": upcoming_visits(patient.pk, clock.now()),
        "can_book": has_capability(acting_user(request), Capability.APPOINTMENT_BOOK),
    }
