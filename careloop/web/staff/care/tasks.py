"""One care task: its page (instructions and history for clinical staff only) and the actions
staff take on it from a queue, the chart or the page itself."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from careloop.accounts.policy import Capability
from careloop.care.lifecycle import TaskAction
from careloop.care.models import CareTask
from careloop.care.services.tasks import (
    care_task_complete,
    care_task_reassign,
    care_task_reschedule,
    care_task_skip,
    care_task_start,
)
from careloop.core.errors import CareloopError, ValidationFailed
from careloop.web.accounts.forms import add_service_errors
from careloop.web.decorators import staff_view
from careloop.web.staff.care.common import ACTION_LABELS, assignable_staff, task_controls, task_for
from careloop.web.staff.care.forms import TaskActionForm
from careloop.web.staff.patients.views.common import acting_user, safe_next

DONE_MESSAGES = {
    TaskAction.START: "started",
    TaskAction.COMPLETE: "done",
    TaskAction.SKIP: "skipped",
    TaskAction.REASSIGN: "reassigned",
    TaskAction.RESCHEDULE: "rescheduled",
}


def _task_page(
    request: HttpRequest, task: CareTask, form: TaskActionForm, status: int = 200
) -> HttpResponse:
    controls = task_controls(request)
    context: dict[str, Any] = {
        "task": task,
        "controls": controls,
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next") or "",
    }
    if controls.can_manage:
        context["history"] = task.changes.select_related("actor").order_by("recorded_at", "id")
    return render(request, "staff/care/task.html", context, status=status)


@staff_view(Capability.CARE_VIEW)
def care_task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = task_for(request, task_id, Capability.CARE_VIEW, "care.task_view")
    return _task_page(request, task, TaskActionForm(staff=assignable_staff()))


def _act(request: HttpRequest, task: CareTask, action: TaskAction, form: TaskActionForm) -> None:
    user = acting_user(request)
    data = form.cleaned_data
    if action == TaskAction.START:
        care_task_start(actor=user, task=task)
    elif action == TaskAction.COMPLETE:
        care_task_complete(actor=user, task=task)
    elif action == TaskAction.SKIP:
        care_task_skip(actor=user, task=task, reason=data["reason"])
    elif action == TaskAction.REASSIGN:
        care_task_reassign(actor=user, task=task, assignee=data["assignee"], reason=data["reason"])
    else:
        care_task_reschedule(actor=user, task=task, due_on=data["due_on"], reason=data["reason"])


@require_POST
@staff_view(Capability.CARE_MANAGE)
def care_task_act(request: HttpRequest, task_id: int) -> HttpResponse:
    """Start, done, skip (with a reason), reassign or reschedule (with a reason); a refusal
    shows the task page with the error beside its field and changes nothing."""
    task = task_for(request, task_id, Capability.CARE_MANAGE, "care.task_change")
    form = TaskActionForm(request.POST, staff=assignable_staff())
    action_names = {action.value for action in ACTION_LABELS}
    if form.is_valid() and form.cleaned_data["action"] not in action_names:
        form.add_error("action", "Choose start, complete, skip, reassign or reschedule.")
    if not form.is_valid():
        return _task_page(request, task, form, status=422)
    action = TaskAction(form.cleaned_data["action"])
    try:
        _act(request, task, action, form)
    except ValidationFailed as error:
        add_service_errors(form, error)
        return _task_page(request, task, form, status=422)
    except CareloopError as error:
        form.add_error(None, error.message)
        return _task_page(request, task, form, status=422)
    messages.success(
        request,
        f"{task.care_activity.get_kind_display()} for {task.care_plan.patient.full_name} "
        f"due {task.due_on:%b} {task.due_on.day}: {DONE_MESSAGES[action]}.",
    )
    return redirect(safe_next(request, reverse("staff:care_task_detail", args=[task.pk])))
