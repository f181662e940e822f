"""REST resources for care under /api/v1/care: protocols, care plans, tasks and their queues,
care gaps and milestone figures.

Reading tasks, queues, gaps and figures needs care.view (clinical staff and the front desk,
who see tasks and their status only: a task's instructions and history need care.manage);
acting on tasks and care plans needs care.manage (clinical staff); designing protocols needs
protocol.manage (admins). Patients get "not found" for every operation here. Every read of a
patient's care and every change leaves an audit row.
"""

from datetime import date
from typing import Annotated, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from careloop.accounts.models import User
from careloop.accounts.policy import Capability, has_capability
from careloop.api.memberships.common import staff_patient, staff_user
from careloop.api.patients import needs
from careloop.audit.services import audit_record
from careloop.care.lifecycle import PlanAction
from careloop.care.models import CarePlan, CareTask, Protocol
from careloop.care.selectors import queues
from careloop.care.selectors.figures import MilestoneFigures, milestone_figures
from careloop.care.services.activities import ActivitySpec
from careloop.care.services.care_plans import care_plan_apply, care_plan_transition
from careloop.care.services.protocols import protocol_activity_add, protocol_create
from careloop.care.services.tasks import (
    care_task_complete,
    care_task_reassign,
    care_task_reschedule,
    care_task_skip,
    care_task_start,
)
from careloop.core import clock
from careloop.core.errors import NotFound, ValidationFailed
from careloop.memberships.models import Plan
from careloop.patients.access import access_patient

care_router = Router(tags=["care"])

Limit = Annotated[int, Field(ge=1, le=100)]
Offset = Annotated[int, Field(ge=0)]
FIGURES_MOST_DAYS = 366


# --- protocols ------------------------------------------------------------------------------


class ActivityIn(Schema):
    kind: str = Field(description="check_in_visit, coaching_session, lab_order, ...")
    role: str = Field(description="The staff role that does it")
    repeat: str = Field(description="every or calendar")
    every: int | None = None
    unit: str = Field("", description="days, weeks or months (repeat every)")
    calendar_months: str = Field("", description="e.g. 1,4,7,10 (repeat calendar)")
    day_of_month: int | None = None
    anchor: str = "previous_due"
    first_offset_days: int = 0
    end_after_occurrences: int | None = None
    end_after_months: int | None = None
    days_before: int = 7
    days_after: int = 14
    service_kind: str = ""
    instructions: str = ""
    order: int = 0

    def spec(self) -> ActivitySpec:
        return ActivitySpec(**self.model_dump())


class ActivityOut(ActivityIn):
    id: int


class ProtocolOut(Schema):
    id: int
    name: str
    description: str
    active: bool
    plan_ids: list[int]
    activities: list[ActivityOut]


class ProtocolIn(Schema):
    name: str
    description: str = ""
    plan_ids: list[int] = []
    activities: list[ActivityIn] = []


def _protocol_out(protocol: Protocol) -> ProtocolOut:
    return ProtocolOut(
        id=protocol.pk,
        name=protocol.name,
        description=protocol.description,
        active=protocol.active,
        plan_ids=sorted(plan.pk for plan in protocol.plans.all()),
        activities=[ActivityOut.model_validate(row) for row in protocol.activities.all()],
    )


def _get_protocol(protocol_id: int) -> Protocol:
    found = Protocol.objects.prefetch_related("plans", "activities").filter(id=protocol_id).first()
    if found is None:
        raise NotFound("No such protocol.")
    return found


@care_router.get(
    "/protocols",
    response=list[ProtocolOut],
    summary="List protocols",
    openapi_extra=needs(Capability.CARE_VIEW),
)
def protocol_list(request: HttpRequest) -> list[ProtocolOut]:
    staff_user(request, Capability.CARE_VIEW)
    rows = Protocol.objects.prefetch_related("plans", "activities").order_by("name", "id")
    return [_protocol_out(protocol) for protocol in rows]


@care_router.post(
    "/protocols",
    response={201: ProtocolOut},
    summary="Create a protocol with its activities",
    openapi_extra=needs(Capability.PROTOCOL_MANAGE),
)
def protocol_create_view(request: HttpRequest, payload: ProtocolIn) -> Status[ProtocolOut]:
    user = staff_user(request, Capability.PROTOCOL_MANAGE)
    plans = list(Plan.objects.filter(id__in=payload.plan_ids))
    missing = sorted(set(payload.plan_ids) - {plan.pk for plan in plans})
    if missing:
        raise ValidationFailed.single("plan_ids", f"No plan with id {missing[0]}.", "not_found")
    protocol = protocol_create(
        actor=user,
        name=payload.name,
        description=payload.description,
        plans=plans,
        activities=[activity.spec() for activity in payload.activities],
    )
    return Status(201, _protocol_out(_get_protocol(protocol.pk)))


@care_router.get(
    "/protocols/{protocol_id}",
    response=ProtocolOut,
    summary="A protocol and its activities",
    openapi_extra=needs(Capability.CARE_VIEW),
)
def protocol_detail(request: HttpRequest, protocol_id: int) -> ProtocolOut:
    staff_user(request, Capability.CARE_VIEW)
    return _protocol_out(_get_protocol(protocol_id))


@care_router.post(
    "/protocols/{protocol_id}/activities",
    response={201: ActivityOut},
    summary="Add an activity to a protocol (care plans already applied keep theirs)",
    openapi_extra=needs(Capability.PROTOCOL_MANAGE),
)
def protocol_activity_add_view(
    request: HttpRequest, protocol_id: int, payload: ActivityIn
) -> Status[ActivityOut]:
    user = staff_user(request, Capability.PROTOCOL_MANAGE)
    activity = protocol_activity_add(
        actor=user, protocol=_get_protocol(protocol_id), spec=payload.spec()
    )
    return Status(201, ActivityOut.model_validate(activity))


# --- care plans -----------------------------------------------------------------------------


class CarePlanOut(Schema):
    id: int
    patient_id: int
    protocol_id: int
    protocol_name: str
    membership_id: int | None
    status: str
    started_on: date
    ended_on: date | None


class CarePlanIn(Schema):
    patient_id: int
    protocol_id: int
    started_on: date | None = Field(None, description="Today when empty")
    reason: str = ""


class CarePlanActionIn(Schema):
    reason: str = ""


def _care_plan_out(plan: CarePlan) -> CarePlanOut:
    return CarePlanOut(
        id=plan.pk,
        patient_id=plan.patient_id,
        protocol_id=plan.protocol_id,
        protocol_name=plan.protocol.name,
        membership_id=plan.membership_id,
        status=plan.status,
        started_on=plan.started_on,
        ended_on=plan.ended_on,
    )


@care_router.get(
    "/plans",
    response=list[CarePlanOut],
    summary="A patient's care plans",
    openapi_extra=needs(Capability.CARE_VIEW),
)
def care_plan_list(request: HttpRequest, patient_id: int) -> list[CarePlanOut]:
    user = staff_user(request, Capability.CARE_VIEW)
    patient = access_patient(
        user, patient_id, capability=Capability.CARE_VIEW, action="care.plan_list"
    )
    rows = CarePlan.objects.filter(patient=patient).select_related("protocol")
    return [_care_plan_out(plan) for plan in rows]


@care_router.post(
    "/plans",
    response={201: CarePlanOut},
    summary="Apply a protocol to a patient by hand",
    openapi_extra=needs(Capability.CARE_MANAGE),
)
def care_plan_apply_view(request: HttpRequest, payload: CarePlanIn) -> Status[CarePlanOut]:
    user = staff_user(request, Capability.CARE_MANAGE)
    patient = staff_patient(
        user, payload.patient_id, field="patient_id", capability=Capability.CARE_MANAGE
    )
    protocol = Protocol.objects.filter(id=payload.protocol_id).first()
    if protocol is None:
        raise ValidationFailed.single(
            "protocol_id", f"There is no protocol with id {payload.protocol_id}.", "not_found"
        )
    plan = care_plan_apply(
        actor=user,
        patient=patient,
        protocol=protocol,
        started_on=payload.started_on,
        reason=payload.reason,
    )
    return Status(201, _care_plan_out(plan))


def _care_plan_action(
    request: HttpRequest, care_plan_id: int, action: PlanAction, reason: str
) -> CarePlanOut:
    user = staff_user(request, Capability.CARE_MANAGE)
    plan = CarePlan.objects.select_related("protocol").filter(id=care_plan_id).first()
    if plan is None:
        raise NotFound("No such care plan.")
    access_patient(
        user, plan.patient_id, capability=Capability.CARE_MANAGE, action=f"care.plan_{action}"
    )
    plan = care_plan_transition(
        actor=user, care_plan=plan, action=action, effective_on=clock.today(), reason=reason
    )
    return _care_plan_out(plan)


@care_router.post(
    "/plans/{care_plan_id}/suspend",
    response=CarePlanOut,
    summary="Suspend a care plan (no new work)",
    openapi_extra=needs(Capability.CARE_MANAGE),
)
def care_plan_suspend(
    request: HttpRequest, care_plan_id: int, payload: CarePlanActionIn
) -> CarePlanOut:
    return _care_plan_action(request, care_plan_id, PlanAction.SUSPEND, payload.reason)


@care_router.post(
    "/plans/{care_plan_id}/resume",
    response=CarePlanOut,
    summary="Resume a suspended care plan (work from today)",
    openapi_extra=needs(Capability.CARE_MANAGE),
)
def care_plan_resume(
    request: HttpRequest, care_plan_id: int, payload: CarePlanActionIn
) -> CarePlanOut:
    return _care_plan_action(request, care_plan_id, PlanAction.RESUME, payload.reason)


@care_router.post(
    "/plans/{care_plan_id}/close",
    response=CarePlanOut,
    summary="Close a care plan (unfinished tasks cancelled)",
    openapi_extra=needs(Capability.CARE_MANAGE),
)
def care_plan_close(
    request: HttpRequest, care_plan_id: int, payload: CarePlanActionIn
) -> CarePlanOut:
    return _care_plan_action(request, care_plan_id, PlanAction.CLOSE, payload.reason)


# --- tasks, queues and gaps -----------------------------------------------------------------


class TaskOut(Schema):
    id: int
    patient_id: int
    patient_name: str
    care_plan_id: int
    protocol_name: str
    plan_name: str = Field(description="The membership plan; empty when applied by hand")
    kind: str
    index: int
    due_on: date
    window_start: date
    window_end: date
    status: str
    role: str
    assignee_id: int | None
    gap_step: int | None = Field(None, description="1 flagged, 2 escalated (gap queue only)")


class TaskChangeOut(Schema):
    action: str
    from_status: str
    to_status: str
    recorded_at: str
    actor_id: int | None
    reason: str


class TaskDetailOut(TaskOut):
    instructions: str | None = Field(None, description="Only for care.manage")
    history: list[TaskChangeOut] | None = Field(None, description="Only for care.manage")


class TaskPage(Schema):
    items: list[TaskOut]
    count: int
    offset: int
    limit: int


class QueueCountsOut(Schema):
    mine: int
    team: int
    overdue: int
    gaps: int


def _task_fields(task: CareTask) -> dict[str, object]:
    membership = task.care_plan.membership
    return {
        "id": task.pk,
        "patient_id": task.care_plan.patient_id,
        "patient_name": task.care_plan.patient.full_name,
        "care_plan_id": task.care_plan_id,
        "protocol_name": task.care_plan.protocol.name,
        "plan_name": membership.plan.name if membership is not None else "",
        "kind": task.care_activity.kind,
        "index": task.index,
        "due_on": task.due_on,
        "window_start": task.window_start,
        "window_end": task.window_end,
        "status": task.status,
        "role": task.role,
        "assignee_id": task.assignee_id,
        "gap_step": getattr(task, "gap_step", None),
    }


def _page_out(
    user: User, action: str, queue: QuerySet[CareTask], offset: int, limit: int
) -> TaskPage:
    found = queues.page(queue, offset=offset, limit=limit)
    audit_record(
        action=action,
        actor=user,
        object_type="care_task",
        detail={"patient_ids": sorted({task.care_plan.patient_id for task in found.tasks})},
    )
    return TaskPage(
        items=[TaskOut(**_task_fields(task)) for task in found.tasks],  # type: ignore[arg-type]
        count=found.count,
        offset=found.offset,
        limit=found.limit,
    )


@care_router.get(
    "/tasks",
    response=TaskPage,
    summary="A queue of unfinished tasks, by due date",
    openapi_extra=needs(Capability.CARE_VIEW),
)
def task_list(
    request: HttpRequest,
    queue: Literal["mine", "team", "overdue", "all"] = "team",
    patient_id: int | None = None,
    plan_id: int | None = None,
    limit: Limit = 25,
    offset: Offset = 0,
) -> TaskPage:
    user = staff_user(request, Capability.CARE_VIEW)
    rows: QuerySet[CareTask]
    if queue == "mine":
        rows = queues.my_tasks(user)
    elif queue == "team":
        rows = queues.team_tasks(user)
    elif queue == "overdue":
        rows = queues.overdue_tasks(clock.today())
    elif patient_id is None:
        raise ValidationFailed.single(
            "patient_id", "The queue 'all' is one patient's: give patient_id.", "required"
        )
    else:
        rows = queues.patient_tasks(patient_id)
    if patient_id is not None:
        access_patient(user, patient_id, capability=Capability.CARE_VIEW, action="care.task_list")
        rows = rows.filter(care_plan__patient_id=patient_id)
    if plan_id is not None:
        rows = rows.filter(care_plan__membership__plan_id=plan_id)
    return _page_out(user, "care.task_list", rows, offset, limit)


@care_router.get(
    "/tasks/counts",
    response=QueueCountsOut,
    summary="How many tasks each of my queues holds",
    openapi_extra=needs(Capability.CARE_VIEW),
)
def task_counts(request: HttpRequest) -> QueueCountsOut:
    user = staff_user(request, Capability.CARE_VIEW)
    return QueueCountsOut(**queues.queue_counts(user, as_of=clock.today()))


@care_router.get(
    "/gaps",
    response=TaskPage,
    summary="Open care gaps (flagged tasks not yet done or skipped), by due date",
    openapi_extra=needs(Capability.CARE_VIEW),
)
def gap_list(request: HttpRequest, limit: Limit = 25, offset: Offset = 0) -> TaskPage:
    user = staff_user(request, Capability.CARE_VIEW)
    return _page_out(user, "care.gap_list", queues.gap_tasks(), offset, limit)


def _task(user: User, task_id: int, capability: Capability, action: str) -> CareTask:
    found = (
        CareTask.objects.select_related(
            "care_plan__patient",
            "care_plan__protocol",
            "care_plan__membership__plan",
            "care_activity",
        )
        .filter(id=task_id)
        .first()
    )
    if found is None:
        raise NotFound("No such task.")
    access_patient(user, found.care_plan.patient_id, capability=capability, action=action)
    return found


def _detail(user: User, task: CareTask) -> TaskDetailOut:
    fields = _task_fields(task)
    if not has_capability(user, Capability.CARE_MANAGE):
        return TaskDetailOut(**fields)  # type: ignore[arg-type]
    history = [
        TaskChangeOut(
            action=row.action,
            from_status=row.from_status,
            to_status=row.to_status,
            recorded_at=row.recorded_at.isoformat(),
            actor_id=row.actor_id,
            reason=row.reason,
        )
        for row in task.changes.order_by("recorded_at", "id")
    ]
    return TaskDetailOut(
        **fields,  # type: ignore[arg-type]
        instructions=task.care_activity.instructions,
        history=history,
    )


@care_router.get(
    "/tasks/{task_id}",
    response=TaskDetailOut,
    summary="A task (instructions and history for care.manage)",
    openapi_extra=needs(Capability.CARE_VIEW),
)
def task_detail(request: HttpRequest, task_id: int) -> TaskDetailOut:
    user = staff_user(request, Capability.CARE_VIEW)
    return _detail(user, _task(user, task_id, Capability.CARE_VIEW, "care.task_view"))


class ReasonIn(Schema):
    reason: str = ""


class RescheduleIn(Schema):
    due_on: date
    reason: str = ""


class ReassignIn(Schema):
    assignee_id: int | None = Field(description="Empty: back to the role's queue")
    reason: str = ""


def _acting(request: HttpRequest, task_id: int, action: str) -> tuple[User, CareTask]:
    user = staff_user(request, Capability.CARE_MANAGE)
    return user, _task(user, task_id, Capability.CARE_MANAGE, f"care.task_{action}")


@care_router.post(
    "/tasks/{task_id}/start",
    response=TaskDetailOut,
    summary="Start a task (an unassigned task goes to you)",
    openapi_extra=needs(Capability.CARE_MANAGE),
)
def task_start(request: HttpRequest, task_id: int) -> TaskDetailOut:
    user, task = _acting(request, task_id, "start")
    care_task_start(actor=user, task=task)
    return _detail(user, _task(user, task_id, Capability.CARE_MANAGE, "care.task_view"))


@care_router.post(
    "/tasks/{task_id}/complete",
    response=TaskDetailOut,
    summary="Mark a task done",
    openapi_extra=needs(Capability.CARE_MANAGE),
)
def task_complete(request: HttpRequest, task_id: int) -> TaskDetailOut:
    user, task = _acting(request, task_id, "complete")
    care_task_complete(actor=user, task=task)
    return _detail(user, _task(user, task_id, Capability.CARE_MANAGE, "care.task_view"))


@care_router.post(
    "/tasks/{task_id}/skip",
    response=TaskDetailOut,
    summary="Skip a task, with a reason",
    openapi_extra=needs(Capability.CARE_MANAGE),
)
def task_skip(request: HttpRequest, task_id: int, payload: ReasonIn) -> TaskDetailOut:
    user, task = _acting(request, task_id, "skip")
    care_task_skip(actor=user, task=task, reason=payload.reason)
    return _detail(user, _task(user, task_id, Capability.CARE_MANAGE, "care.task_view"))


@care_router.post(
    "/tasks/{task_id}/reschedule",
    response=TaskDetailOut,
    summary="Move a task to a new due date, with a reason",
    openapi_extra=needs(Capability.CARE_MANAGE),
)
def task_reschedule(request: HttpRequest, task_id: int, payload: RescheduleIn) -> TaskDetailOut:
    user, task = _acting(request, task_id, "reschedule")
    care_task_reschedule(actor=user, task=task, due_on=payload.due_on, reason=payload.reason)
    return _detail(user, _task(user, task_id, Capability.CARE_MANAGE, "care.task_view"))


@care_router.post(
    "/tasks/{task_id}/reassign",
    response=TaskDetailOut,
    summary="Give a task to another staff member, or back to its role's queue",
    openapi_extra=needs(Capability.CARE_MANAGE),
)
def task_reassign(request: HttpRequest, task_id: int, payload: ReassignIn) -> TaskDetailOut:
    user, task = _acting(request, task_id, "reassign")
    assignee = None
    if payload.assignee_id is not None:
        assignee = User.objects.filter(id=payload.assignee_id).first()
        if assignee is None:
            raise ValidationFailed.single(
                "assignee_id",
                f"There is no staff member with id {payload.assignee_id}.",
                "not_found",
            )
    try:
        care_task_reassign(actor=user, task=task, assignee=assignee, reason=payload.reason)
    except ValidationFailed as failed:
        raise ValidationFailed.single(
            "assignee_id", failed.errors[0].message, failed.errors[0].code
        ) from None
    return _detail(user, _task(user, task_id, Capability.CARE_MANAGE, "care.task_view"))


# --- milestone figures ----------------------------------------------------------------------


class FiguresOut(Schema):
    plan_id: int | None
    plan_name: str
    protocol_id: int
    protocol_name: str
    due: int
    on_time: int
    late: int
    missed: int
    skipped: int
    open: int


@care_router.get(
    "/figures",
    response=list[FiguresOut],
    summary="Milestone figures per membership plan and protocol for occurrences due in a range",
    openapi_extra=needs(Capability.CARE_VIEW),
)
def figures(request: HttpRequest, start: date, end: date) -> list[MilestoneFigures]:
    user = staff_user(request, Capability.CARE_VIEW)
    if end < start:
        raise ValidationFailed.single("end", "The range ends before it starts.", "before_start")
    if (end - start).days >= FIGURES_MOST_DAYS:
        raise ValidationFailed.single(
            "end", f"A range is at most {FIGURES_MOST_DAYS} days.", "too_long"
        )
    audit_record(action="care.figures", actor=user, object_type="care_task")
    return milestone_figures(start=start, end=end, as_of=clock.today())
