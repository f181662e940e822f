"""Status changes of an appointment: one function checks the table, records and cascades."""

from datetime import date, timedelta

from django.db import transaction

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.billing.services.visit_fees import appointment_fee_invoice
from careloop.core import clock
from careloop.core.errors import ValidationFailed
from careloop.memberships.errors import NotCovered
from careloop.memberships.models import EntitlementEntry, EntryKind
from careloop.memberships.services.entitlements import entitlement_consume, entitlement_release
from careloop.scheduling.lifecycle import Action, target_status
from careloop.scheduling.models import Appointment, AppointmentStatus, AppointmentStatusChange
from careloop.scheduling.selectors.effects import BookingOutcome, visit_day
from careloop.scheduling.services.booking import HOLD_SOURCE
from careloop.scheduling.services.care_link import care_task_close_for_visit


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
            .select_related("appointment_type", "location", "patient")
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
        _cascade(locked, action, late=late, actor=actor)
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


def _cascade(appointment: Appointment, action: Action, *, late: bool, actor: User | None) -> None:
    """What a status change sets off in the ledger, billing and care, in the same transaction.

    Complete: the visit uses the allowance (its hold, or beyond the allowance at the member
    price) and closes the care-plan task it carries out. Cancel in time: the hold is
    released. Late cancel and no-show: the hold is used or released per the type's policy,
    and the type's fee is invoiced; the task stays open. A visit booked without a hold
    (self-pay, no plan service) leaves the ledger alone.
    """
    kind = appointment.appointment_type
    if action == Action.COMPLETE:
        _use(appointment, actor=actor)
        care_task_close_for_visit(appointment, actor=actor)
    elif action == Action.CANCEL and not late:
        _release(appointment, actor=actor)
    elif action in (Action.CANCEL, Action.NO_SHOW):
        keeps = (
            kind.no_show_keeps_allowance
            if action == Action.NO_SHOW
            else kind.late_cancel_keeps_allowance
        )
        if keeps:
            _use(appointment, actor=actor, only_held=True)
        else:
            _release(appointment, actor=actor)
        fee = kind.no_show_fee if action == Action.NO_SHOW else kind.late_cancel_fee
        if fee > 0:
            _charge_fee(appointment, action=action, amount=fee)


def _open_hold(appointment: Appointment) -> EntitlementEntry | None:
    return (
        EntitlementEntry.objects.filter(
            kind=EntryKind.HOLD,
            source_type=HOLD_SOURCE,
            source_id=str(appointment.pk),
            settled_by__isnull=True,
        )
        .select_related("service")
        .first()
    )


def _use(appointment: Appointment, *, actor: User | None, only_held: bool = False) -> None:
    hold = _open_hold(appointment)
    if hold is None and (only_held or appointment.coverage != BookingOutcome.MEMBER_PRICE):
        return
    service = hold.service if hold is not None else appointment.service
    if service is None:
        return
    try:
        entitlement_consume(
            actor=actor,
            patient=appointment.patient,
            service=service,
            on=hold.occurred_on if hold is not None else _day(appointment),
            source_type=HOLD_SOURCE,
            source_id=str(appointment.pk),
        )
    except NotCovered:
        # The membership stopped covering since booking (paused, ended): the visit is no
        # longer a use of it; an open hold is let go rather than blocking the status change.
        if hold is not None:
            _release(appointment, actor=actor)


def _release(appointment: Appointment, *, actor: User | None) -> None:
    if _open_hold(appointment) is not None:
        entitlement_release(actor=actor, source_type=HOLD_SOURCE, source_id=str(appointment.pk))


def _day(appointment: Appointment) -> date:
    return visit_day(appointment.location, appointment.start_at)


def _charge_fee(appointment: Appointment, *, action: Action, amount: int) -> None:
    day = _day(appointment)
    what = "No-show" if action == Action.NO_SHOW else "Late cancellation"
    appointment_fee_invoice(
        appointment_id=appointment.pk,
        patient=appointment.patient,
        membership=appointment.membership,
        amount=amount,
        description=f"{what} fee: {appointment.appointment_type.name} on {day:%b} {day.day}, "
        f"{day.year}",
        visit_day=day,
    )


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
