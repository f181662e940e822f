"""Reminders to patients about their care plan's work, through the outbox, once per task.

Which tasks: an unfinished task of an active care plan whose window is open on the day
(from its first day to its last), of a patient reminder activity, or of a check-in visit or
coaching session activity that no live visit carries out yet ("time to book"). Windows that
ended are care gaps for staff, not reminders: a run after a long pause sends nothing stale.

How: one message, by email when the patient has an address, else by text to their mobile
phone; a patient with neither gets nothing (and nothing is recorded, so a reminder can still
go out if a contact is added while the window is open). A patient reminder task is done once
its reminder is sent; a visit task stays open until its visit is completed.

Once: the CareReminder row (one per task), its outbox message and its audit row commit
together, under the task's row lock, so a rerun or a second worker sends nothing twice.

What it says: the clinic, the kind of visit and how often it comes ("your monthly check-in");
never the protocol, instructions, diagnoses, lab names or results.
"""

from datetime import date

from django.db import IntegrityError, transaction

from careloop.audit.services import audit_record
from careloop.care.models import (
    UNFINISHED_TASK_STATUSES,
    ActivityKind,
    CarePlanStatus,
    CareReminder,
    CareTask,
)
from careloop.care.services.tasks import care_task_complete
from careloop.care.timing import Repeat, Timing, Unit
from careloop.core import clock
from careloop.core.selectors import clinic_settings
from careloop.notifications.contacts import patient_contact
from careloop.notifications.models import Channel
from careloop.notifications.services import notification_enqueue
from careloop.scheduling.models import AppointmentStatus

VISIT_KINDS = (ActivityKind.CHECK_IN_VISIT, ActivityKind.COACHING_SESSION)
REMINDED_KINDS = (*VISIT_KINDS, ActivityKind.PATIENT_REMINDER)
# A visit booked for the task (still to come, or already held) means nothing to remind.
BOOKED = (
    AppointmentStatus.SCHEDULED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.COMPLETED,
)
VISIT_WORDS = {
    ActivityKind.CHECK_IN_VISIT: "check-in",
    ActivityKind.COACHING_SESSION: "coaching session",
}
CADENCES = {
    (Unit.WEEKS, 1): "weekly",
    (Unit.MONTHS, 1): "monthly",
    (Unit.MONTHS, 3): "quarterly",
    (Unit.MONTHS, 12): "yearly",
}


def cadence(timing: Timing) -> str:
    """ "monthly", "quarterly"...; empty when the timing has no everyday word."""
    if timing.repeat == Repeat.CALENDAR:
        return {1: "yearly", 2: "twice-yearly", 4: "quarterly", 12: "monthly"}.get(
            len(timing.calendar_months), ""
        )
    if timing.unit is None or timing.every is None:
        return ""
    return CADENCES.get((timing.unit, timing.every), "")


def reminder_text(task: CareTask, *, clinic: str) -> tuple[str, str, str]:
    """Subject, email body and text message for the task's reminder, with no clinical detail."""
    kind = ActivityKind(task.care_activity.kind)
    if kind == ActivityKind.PATIENT_REMINDER:
        subject = f"A reminder from {clinic}"
        lead = f"{clinic} has a reminder for you about your care."
        body = f"{lead}\n\nPlease sign in to the patient portal or call the clinic for details."
        return subject, body, f"{clinic}: {lead} Please call the clinic for details."
    words = " ".join(filter(None, [cadence(task.care_activity.timing), VISIT_WORDS[kind]]))
    subject = f"Time to book your {words} with {clinic}"
    body = f"{subject}.\n\nPlease call the clinic to book a time that suits you."
    return subject, body, f"{clinic}: time to book your {words}. Please call us to book."


def reminders_due(as_of: date) -> list[int]:
    """The ids of tasks whose reminder is due on `as_of` and not yet sent."""
    unfinished = CareTask.objects.filter(
        status__in=UNFINISHED_TASK_STATUSES,
        care_plan__status=CarePlanStatus.ACTIVE,
        care_activity__kind__in=REMINDED_KINDS,
        window_start__lte=as_of,
        window_end__gte=as_of,
        reminder__isnull=True,
    )
    booked = CareTask.objects.filter(
        care_activity__kind__in=VISIT_KINDS, appointments__status__in=BOOKED
    )
    return list(
        unfinished.exclude(pk__in=booked.values("pk"))
        .order_by("window_start", "id")
        .values_list("pk", flat=True)
    )


def _remind(task_id: int, as_of: date, clinic: str) -> bool:
    """Send one task's reminder; False when it is no longer due, unreachable or already sent."""
    with transaction.atomic():
        task = (
            CareTask.objects.select_for_update(of=("self",))
            .select_related("care_plan__patient", "care_activity")
            .filter(
                pk=task_id,
                status__in=UNFINISHED_TASK_STATUSES,
                care_plan__status=CarePlanStatus.ACTIVE,
            )
            .first()
        )
        if task is None:
            return False
        contact = patient_contact(task.care_plan.patient)
        if contact is None:
            return False
        channel, recipient = contact
        try:
            with transaction.atomic():
                CareReminder.objects.create(
                    task=task, sent_on=as_of, recorded_at=clock.now(), channel=channel
                )
        except IntegrityError:
            return False  # another run sent it first
        subject, body, text = reminder_text(task, clinic=clinic)
        email = channel == Channel.EMAIL
        notification_enqueue(
            channel=channel,
            recipient=recipient,
            subject=subject if email else "",
            body=body if email else text,
            kind="care.reminder",
            patient_id=task.care_plan.patient_id,
        )
        audit_record(
            action="care.reminder_send",
            actor=None,
            patient_id=task.care_plan.patient_id,
            object_type="care_task",
            object_id=task.pk,
            detail={"channel": str(channel)},
        )
        if task.care_activity.kind == ActivityKind.PATIENT_REMINDER:
            care_task_complete(actor=None, task=task)
    return True


def care_reminders_send(*, as_of: date) -> int:
    """Send every patient reminder due on `as_of` that no run has sent; the number sent.

    Safe to run again and in several processes at once (see the module docstring).
    """
    clinic = clinic_settings().name
    return sum(_remind(task_id, as_of, clinic) for task_id in reminders_due(as_of))
