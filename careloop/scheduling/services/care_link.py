"""Visits that carry out a care plan's work: a booking is tied to the patient's open check-in
or coaching task it fulfils, and completing the visit closes that task.

A visit is tied to a task given by the caller or, when none is given, to the patient's
earliest unfinished task of a visit kind (check-in visit, coaching session) whose activity
uses the same plan service as the appointment type and whose window holds the visit's day,
and that no other live visit already carries. A cancelled or missed visit leaves its task
open for the next booking; only completion closes it.
"""

from datetime import date

from django.db.models import QuerySet

from careloop.accounts.models import User
from careloop.care.models import UNFINISHED_TASK_STATUSES, ActivityKind, CareTask
from careloop.care.models.care_plans import CarePlanStatus
from careloop.care.services.tasks import care_task_complete
from careloop.core.errors import ValidationFailed
from careloop.patients.models import Patient
from careloop.scheduling.models import Appointment, AppointmentStatus, AppointmentType

VISIT_KINDS = (ActivityKind.CHECK_IN_VISIT, ActivityKind.COACHING_SESSION)
LIVE_VISITS = (
    AppointmentStatus.SCHEDULED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.COMPLETED,
)


def _open_visit_tasks(patient: Patient) -> QuerySet[CareTask]:
    return CareTask.objects.filter(
        care_plan__patient=patient,
        care_plan__status=CarePlanStatus.ACTIVE,
        status__in=UNFINISHED_TASK_STATUSES,
        care_activity__kind__in=VISIT_KINDS,
    ).exclude(appointments__status__in=LIVE_VISITS)


def care_task_for_visit(
    *,
    patient: Patient,
    appointment_type: AppointmentType,
    day: date,
    chosen: CareTask | None = None,
) -> CareTask | None:
    """The task a visit on `day` carries out: `chosen` after checking it, or the earliest
    matching one; None when the type uses no plan service or nothing matches."""
    if chosen is not None:
        if not _open_visit_tasks(patient).filter(pk=chosen.pk).exists():
            raise ValidationFailed.single(
                "care_task",
                "Choose an unfinished visit task of this patient's care plan that no other "
                "visit carries out.",
                "not_open",
            )
        return chosen
    if not appointment_type.service_kind:
        return None
    return (
        _open_visit_tasks(patient)
        .filter(
            care_activity__service_kind=appointment_type.service_kind,
            window_start__lte=day,
            window_end__gte=day,
        )
        .order_by("due_on", "id")
        .first()
    )


def care_task_close_for_visit(appointment: Appointment, *, actor: User | None) -> None:
    """The visit was completed: its task is done, if it is still unfinished."""
    task = appointment.care_task
    if task is not None and task.status in UNFINISHED_TASK_STATUSES:
        care_task_complete(actor=actor, task=task)
