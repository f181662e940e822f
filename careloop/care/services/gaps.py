"""Care gaps and their escalation.

A task is a care gap from the day after its window ends while it is still open or in
progress. The daily job takes each step at most once per task: step 1 (flagged) the day the
gap is found, notifying the assignee, or the staff of the task's role when nobody is
assigned; step 2 (escalated) CARELOOP_CARE_ESCALATE_AFTER_DAYS after the gap appeared,
notifying the patient's care coordinators (every active care coordinator when the care team
names none). Each step runs in its own transaction: its CareGapStep row, its notices (through
the outbox) and its audit row commit together, and the unique (task, step) constraint turns a
second worker's attempt into a rollback that notifies nobody.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.audit.services import audit_record
from careloop.care.models import UNFINISHED_TASK_STATUSES, CareGapStep, CareTask, GapStep
from careloop.core import clock
from careloop.notifications.models import Channel
from careloop.notifications.services import notification_enqueue
from careloop.patients.models import CareTeamRole

STEP_ACTIONS = {GapStep.FLAGGED: "care.gap_flag", GapStep.ESCALATED: "care.gap_escalate"}


def gap_opens_on(task: CareTask) -> date:
    """The first day a task left unfinished is a gap: the day after its window ends."""
    return task.window_end + timedelta(days=1)


def escalation_due_on(task: CareTask) -> date:
    return gap_opens_on(task) + timedelta(days=settings.CARE_ESCALATE_AFTER_DAYS)


def _flag_recipients(task: CareTask) -> list[User]:
    if task.assignee is not None and task.assignee.is_active:
        return [task.assignee]
    return list(User.objects.filter(role=task.role, is_active=True).order_by("id"))


def _coordinators(task: CareTask) -> list[User]:
    team = list(
        User.objects.filter(
            care_team_memberships__patient_id=task.care_plan.patient_id,
            care_team_memberships__role=CareTeamRole.COORDINATOR,
            role=Role.COORDINATOR,
            is_active=True,
        ).order_by("id")
    )
    if team:
        return team
    return list(User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("id"))


def _notice(task: CareTask, step: GapStep) -> tuple[str, str]:
    """Subject and body: the patient's name, the task's kind and due date, nothing clinical."""
    patient = task.care_plan.patient.full_name
    kind = task.care_activity.get_kind_display()
    due = task.due_on.isoformat()
    if step == GapStep.FLAGGED:
        subject = f"Care gap: {kind} for {patient}"
        lead = f"The {kind.lower()} for {patient}, due {due}, is past its window and not done."
    else:
        subject = f"Escalated care gap: {kind} for {patient}"
        lead = (
            f"The {kind.lower()} for {patient}, due {due}, is still not done "
            f"{settings.CARE_ESCALATE_AFTER_DAYS} days after its window ended."
        )
    body = f"{lead}\n\nPlease complete it, reschedule it or skip it with a reason in Careloop."
    return subject, body


def _take_step(task: CareTask, step: GapStep, as_of: date) -> bool:
    """Record the step and send its notices, once; False when another run already took it."""
    recipients = _flag_recipients(task) if step == GapStep.FLAGGED else _coordinators(task)
    subject, body = _notice(task, step)
    try:
        with transaction.atomic():
            record = CareGapStep.objects.create(
                task=task,
                step=step,
                taken_on=as_of,
                recorded_at=clock.now(),
                notified=len(recipients),
            )
            for recipient in recipients:
                notification_enqueue(
                    channel=Channel.EMAIL,
                    recipient=recipient.email,
                    subject=subject,
                    body=body,
                    kind=STEP_ACTIONS[step],
                    patient_id=task.care_plan.patient_id,
                )
            audit_record(
                action=STEP_ACTIONS[step],
                actor=None,
                patient_id=task.care_plan.patient_id,
                object_type="care_task",
                object_id=task.pk,
                detail={"step": int(step), "notified": record.notified},
            )
    except IntegrityError:
        return False
    return True


def care_gaps_escalate(*, as_of: date) -> int:
    """Take every escalation step due on `as_of` that no run has taken yet; the steps taken.

    Safe to run again and in several processes at once (see the module docstring).
    """
    steps = 0
    escalate_before = as_of - timedelta(days=settings.CARE_ESCALATE_AFTER_DAYS)
    # Gaps with a step still to take: not yet flagged, or flagged and due for escalation.
    waiting = (
        CareTask.objects.filter(status__in=UNFINISHED_TASK_STATUSES, window_end__lt=as_of)
        .exclude(gap_steps__step=GapStep.ESCALATED)
        .exclude(Q(gap_steps__step=GapStep.FLAGGED) & Q(window_end__gte=escalate_before))
        .select_related("care_plan__patient", "care_activity", "assignee")
        .order_by("window_end", "id")
    )
    for task in list(waiting):
        taken = set(CareGapStep.objects.filter(task=task).values_list("step", flat=True))
        if GapStep.FLAGGED not in taken and _take_step(task, GapStep.FLAGGED, as_of):
            steps += 1
        if (
            GapStep.ESCALATED not in taken
            and task.window_end < escalate_before
            and _take_step(task, GapStep.ESCALATED, as_of)
        ):
            steps += 1
    return steps
