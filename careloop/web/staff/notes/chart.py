"""What notes add to a patient's chart: the latest notes, and starting one from a template.

Registered in careloop/web/staff/patients/chart.py for roles that read note contents.
"""

from typing import Any

from django.http import HttpRequest

from careloop.accounts.policy import Capability, has_capability
from careloop.care.models import ClinicalNote
from careloop.patients.models import Patient
from careloop.web.staff.notes.views import writable_templates
from careloop.web.staff.patients.views.common import acting_user

SHOWN_NOTES = 5


def notes_section(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    """The chart's notes section: the latest notes and a start button for writers."""
    user = acting_user(request)
    can_write = has_capability(user, Capability.NOTE_WRITE)
    return {
        "notes": ClinicalNote.objects.filter(patient=patient)
        .select_related("template", "author")
        .order_by("-created_at", "-id")[:SHOWN_NOTES],
        "can_write": can_write,
        "templates": writable_templates(user) if can_write else [],
    }
