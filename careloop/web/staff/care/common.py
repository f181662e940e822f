"""What the staff care pages share: reading a task through its patient, the staff a task may
be given to, and what each viewer may do with a task."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest

from careloop.accounts.models import User
from careloop.accounts.policy import POLICY, Capability, has_capability
from careloop.care.lifecycle import TASK_TRANSITIONS, TaskAction
from careloop.care.models import CareTask, TaskStatus
from careloop.core.errors import NotFound
from careloop.patients.access import access_patient
from careloop.web.staff.patients.views.common import acting_user

# The actions a task row offers, in staff words; reschedule needs a date, so it is offered
# on the chart and the task page, beside the care plan it belongs to.
ACTION_LABELS = {
    TaskAction.START: "Start",
    TaskAction.COMPLETE: "Done",
    TaskAction.SKIP: "Skip",
    TaskAction.REASSIGN: "Reassign",
    TaskAction.RESCHEDULE: "Reschedule",
}


def task_for(request: HttpRequest, task_id: int, capability: Capability, action: str) -> CareTask:
    """The task, after checking (and auditing) the viewer may see its patient."""
    task = (
        CareTask.objects.select_related(
            "care_plan__patient",
            "care_plan__protocol",
            "care_plan__membership__plan",
            "care_activity",
            "assignee",
        )
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotFound("No such task.")
    access_patient(
        acting_user(request), task.care_plan.patient_id, capability=capability, action=action
    )
    return task


def assignable_staff() -> QuerySet[User]:
    """Active staff whose role may act on care tasks: who a task can be given to."""
    roles = [role.value for role in POLICY[Capability.CARE_MANAGE]]
    return User.objects.filter(is_active=True, role__in=roles).order_by(
        "first_name", "last_name", "id"
    )


@dataclass(frozen=True)
class TaskControls:
    """What the viewer may do with task rows: nothing for the front desk, who see status only."""

    can_manage: bool
    staff: list[User]

    def allowed(self, task: CareTask) -> list[str]:
        if not self.can_manage:
            return []
        status = TaskStatus(task.status)
        return [action.value for action in ACTION_LABELS if status in TASK_TRANSITIONS[action]]


def task_controls(request: HttpRequest) -> TaskControls:
    can_manage = has_capability(acting_user(request), Capability.CARE_MANAGE)
    return TaskControls(can_manage, list(assignable_staff()) if can_manage else [])
