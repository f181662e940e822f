"""Work queues of care tasks (mine, my role's, overdue) and the care gaps page with the
milestone figures. Each page lists unfinished tasks by due date, 25 at a time."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.accounts.policy import Capability
from careloop.audit.services import audit_record
from careloop.care.models import CareTask
from careloop.care.selectors import queues
from careloop.care.selectors.figures import milestone_figures
from careloop.core import clock
from careloop.patients.access import access_patient
from careloop.web.decorators import staff_view
from careloop.web.staff.care.common import task_controls
from careloop.web.staff.care.forms import FiguresForm, QueueFilterForm
from careloop.web.staff.patients.views.common import acting_user

PAGE_SIZE = 25


def _queue_page(
    request: HttpRequest,
    rows: QuerySet[CareTask],
    *,
    tab: str,
    heading: str,
    empty: str,
    audit_action: str = "care.task_list",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    user = acting_user(request)
    filters = QueueFilterForm(request.GET)
    offset = 0
    status = 200
    patient = None
    if filters.is_valid():
        plan = filters.cleaned_data["plan"]
        if plan is not None:
            rows = rows.filter(care_plan__membership__plan=plan)
        patient_id = filters.cleaned_data["patient"]
        if patient_id is not None:
            patient = access_patient(
                user, patient_id, capability=Capability.CARE_VIEW, action=audit_action
            )
            rows = rows.filter(care_plan__patient_id=patient_id)
        offset = filters.cleaned_data["offset"] or 0
    else:
        rows = rows.none()
        status = 422
    found = queues.page(rows, offset=offset, limit=PAGE_SIZE)
    audit_record(
        action=audit_action,
        actor=user,
        object_type="care_task",
        detail={"patient_ids": sorted({task.care_plan.patient_id for task in found.tasks})},
    )
    query = request.GET.copy()
    query.pop("offset", None)
    return render(
        request,
        "staff/care/queue.html",
        {
            "tab": tab,
            "heading": heading,
            "empty": empty,
            "page": found,
            "filters": filters,
            "patient": patient,
            "query": query.urlencode(),
            "previous": max(0, found.offset - PAGE_SIZE) if found.offset else None,
            "next": found.offset + PAGE_SIZE if found.offset + PAGE_SIZE < found.count else None,
            "controls": task_controls(request),
            **(extra or {}),
        },
        status=status,
    )


@staff_view(Capability.CARE_VIEW)
def care_my_tasks(request: HttpRequest) -> HttpResponse:
    return _queue_page(
        request,
        queues.my_tasks(acting_user(request)),
        tab="My tasks",
        heading="My tasks",
        empty="Nothing is assigned to you.",
    )


@staff_view(Capability.CARE_VIEW)
def care_team_tasks(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    return _queue_page(
        request,
        queues.team_tasks(user),
        tab="Team",
        heading=f"Team: {user.get_role_display()} tasks",
        empty="Your role has no unfinished tasks.",
    )


@staff_view(Capability.CARE_VIEW)
def care_overdue(request: HttpRequest) -> HttpResponse:
    return _queue_page(
        request,
        queues.overdue_tasks(clock.today()),
        tab="Overdue",
        heading="Overdue",
        empty="No task's window has ended unfinished.",
    )


@staff_view(Capability.CARE_VIEW)
def care_gaps(request: HttpRequest) -> HttpResponse:
    """Open care gaps with their escalation step, then the milestone figures per plan."""
    today = clock.today()
    figures_form = FiguresForm(request.GET, today=today)
    figures = []
    start, end = today, today
    if figures_form.is_valid():
        start, end = figures_form.range()
        figures = milestone_figures(start=start, end=end, as_of=today)
        audit_record(action="care.figures", actor=acting_user(request), object_type="care_task")
    return _queue_page(
        request,
        queues.gap_tasks(),
        tab="Care gaps",
        heading="Care gaps",
        empty="No open care gaps.",
        audit_action="care.gap_list",
        extra={
            "gaps": True,
            "figures": figures,
            "figures_form": figures_form,
            "start": start,
            "end": end,
        },
    )
