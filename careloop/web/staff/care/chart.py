"""What care adds to a patient's chart: their open care plans, each with its upcoming and
recent tasks and the staff actions on them.

Registered in careloop/web/staff/patients/chart.py (care.view). The front desk sees tasks and
their status only: no instructions, reasons or actions.
"""

from typing import Any

from django.http import HttpRequest

from careloop.care.models import (
    OPEN_PLAN_STATUSES,
    UNFINISHED_TASK_STATUSES,
    CarePlan,
    CareTask,
)
from careloop.patients.models import Patient
from careloop.web.staff.care.common import task_controls

RECENT_TASKS = 5
UPCOMING_TASKS = 10


def care_plan_section(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    plans = (
        CarePlan.objects.filter(patient=patient, status__in=OPEN_PLAN_STATUSES)
        .select_related("protocol", "membership__plan")
        .order_by("started_on", "id")
    )
    tasks = CareTask.objects.select_related("care_activity", "assignee", "care_plan__patient")
    return {
        "plans": [
            {
                "plan": plan,
                "upcoming": list(
                    tasks.filter(care_plan=plan, status__in=UNFINISHED_TASK_STATUSES).order_by(
                        "due_on", "id"
                    )[:UPCOMING_TASKS]
                ),
                "recent": list(
                    tasks.filter(care_plan=plan)
                    .exclude(status__in=UNFINISHED_TASK_STATUSES)
                    .order_by("-updated_at", "-id")[:RECENT_TASKS]
                ),
            }
            for plan in plans
        ],
        "controls": task_controls(request),
    }
