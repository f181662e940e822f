"""Status changes of an appointment: one function checks the table, records and cascades."""

from datetime import timedelta

from django.db import transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.scheduling.lifecycle import Action, target_status
from careloop.scheduling.models import Appointment, AppointmentStatus, AppointmentStatusChange


def is_late_cancel(appointment: Appointment) -> bool:
    """Whether cancelling now falls inside the type's late-cancel window before the start."""
    window = timedelta(hours=appointment.appointment_type.late_cancel_window_hours)
    return clock.now() > appointment.start_at - window


def appointment_transition(
    *, actor: User | None, appointment: Appointment, action: Action, reason: str = ""
) -> AppointmentStatusChange:
    """Apply `action` to the appointment, record the history and the audit row, cascade.

    Refuses (IllegalTransition, nothing changed) what the lifecycle table does not allow, and
    a no-show before the visit has started. A cancellation inside the type's late-cancel
    window is marked late on the appointment and in its history.
    """
    with transaction.atomic():
        locked = (
            Appointment.objects.select_for_update()
            .select_related("appointment_type")
            .get(pk=appointment.pk)
        )
        source = AppointmentStatus(locked.status)
        target = target_status(source, action)
        now = clock.now()
        if action == Action.NO_SHOW and now < locked.start_at:
            raise ValidationFailed.single(
                "status", "A visit can be marked a no-show only once it has started.", "too_early"
            )
        late = action == Action.CANCEL and is_late_cancel(locked)
        locked.status = target
        locked.updated_at = now
        fields = ["status", "updated_at"]
        if late:
            locked.late_cancel = True
            fields.append("late_cancel")
        locked.save(update_fields=fields)
        change = AppointmentStatusChange.objects.create(
            appointment=locked,
            action=action.value,
            from_status=source,
            to_status=target,
            recorded_at=now,
            actor=actor,
            reason=reason,
            late=late,
        )
        _cascade(locked, action, late=late)
        audit_record(
            action=f"appointment.{action.value}",
            actor=actor,
            patient_id=locked.patient_id,
            object_type="appointment",
            object_id=locked.pk,
            detail={"from": source.value, "to": target.value, "late": late},
        )
    appointment.refresh_from_db()
    return change


def _cascade(appointment: Appointment, action: Action, *, late: bool) -> None:
    """What a status change sets off in other areas; this slice records only the change.

    Later slices add here, inside the same transaction: on complete, consume the held
    allowance (entitlement_consume) and close the linked care task; on cancel, release the
    hold, or for a late cancel charge `late_cancel_fee` and keep or release the allowance per
    policy; on no-show, charge `no_show_fee` likewise.
    """


def appointment_confirm(*, actor: User | None, appointment: Appointment) -> AppointmentStatusChange:
    return appointment_transition(actor=actor, appointment=appointment, action=Action.CONFIRM)


def appointment_check_in(
    *, actor: User | None, appointment: Appointment
) -> AppointmentStatusChange:
    return appointment_transition(actor=actor, appointment=appointment, action=Action.CHECK_IN)


def appointment_complete(
    *, actor: User | None, appointment: Appointment
) -> AppointmentStatusChange:
    return appointment_transition(actor=actor, appointment=appointment, action=Action.COMPLETE)


def appointment_cancel(
    *, actor: User | None, appointment: Appointment, reason: str = ""
) -> AppointmentStatusChange:
    return appointment_transition(
        actor=actor, appointment=appointment, action=Action.CANCEL, reason=reason
    )


def appointment_mark_no_show(
    *, actor: User | None, appointment: Appointment
) -> AppointmentStatusChange:
    return appointment_transition(actor=actor, appointment=appointment, action=Action.NO_SHOW)
