"""Stable views of the demo memberships and visits (no database ids), to compare two
seedings."""

from careloop.care.models import CareTask, ClinicalNote, LabResult
from careloop.memberships.models import EntitlementEntry, Membership
from careloop.scheduling.models import Appointment
from careloop.scheduling.services.booking import HOLD_SOURCE


def memberships_snapshot() -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    memberships = Membership.objects.select_related(
        "plan", "price", "sponsor", "payer_patient", "cancellation_reason"
    ).prefetch_related("members__patient", "status_changes", "scheduled_changes")
    for membership in memberships:
        payer = membership.payer_patient
        rows.append(
            (
                membership.plan.code,
                membership.interval,
                membership.price.version,
                membership.status,
                str(membership.start_date),
                payer.email if payer else membership.sponsor.name if membership.sponsor else "",
                membership.cancellation_reason.code if membership.cancellation_reason else "",
                tuple(
                    sorted(
                        (m.patient.email, m.role, str(m.joined_on), str(m.left_on))
                        for m in membership.members.all()
                    )
                ),
                tuple(
                    (c.action, c.from_status, c.to_status, str(c.effective_on), c.reason)
                    for c in membership.status_changes.all()
                ),
                tuple(
                    sorted(
                        (c.kind, c.status, str(c.effective_on))
                        for c in membership.scheduled_changes.all()
                    )
                ),
            )
        )
    return sorted(rows)


def ledger_snapshot() -> list[tuple[str, ...]]:
    # An appointment's hold and use name it by id; the visit's start stands in for the id.
    visits = {
        str(pk): start.isoformat()
        for pk, start in Appointment.objects.values_list("pk", "start_at")
    }
    return sorted(
        (
            entry.patient.email,
            entry.service.code,
            entry.kind,
            str(entry.quantity),
            str(entry.period_start),
            str(entry.occurred_on),
            entry.source_type,
            visits[entry.source_id] if entry.source_type == HOLD_SOURCE else entry.source_id,
            str(entry.settles_id is not None),
        )
        for entry in EntitlementEntry.objects.select_related("patient", "service")
    )


def appointments_snapshot() -> list[tuple[object, ...]]:
    return sorted(
        (
            visit.patient.email,
            visit.provider.username,
            visit.location.name,
            visit.appointment_type.name,
            visit.start_at.isoformat(),
            visit.status,
            visit.late_cancel,
            visit.coverage,
            visit.quoted_price,
            str(visit.series.start_date) if visit.series else "",
            visit.occurrence_index,
            tuple(
                (c.action, c.to_status, c.recorded_at.isoformat(), c.late)
                for c in visit.status_changes.order_by("recorded_at", "id")
            ),
        )
        for visit in Appointment.objects.select_related(
            "patient", "provider", "location", "appointment_type", "series"
        )
    )


def care_snapshot() -> list[tuple[object, ...]]:
    """Care work, lab results and signed notes, by patient email and date."""
    tasks = CareTask.objects.select_related("care_plan__patient", "care_plan__protocol")
    rows: list[tuple[object, ...]] = [
        (
            task.care_plan.patient.email,
            task.care_plan.protocol.name,
            task.care_activity.kind,
            task.index,
            str(task.due_on),
            task.status,
            str(task.completed_on),
        )
        for task in tasks.select_related("care_activity")
    ]
    rows += [
        (result.order.patient.email, result.component.loinc, str(result.value),
         result.observed_at.isoformat())
        for result in LabResult.objects.select_related("order__patient", "component")
    ]  # fmt: skip
    rows += [
        (note.patient.email, note.kind, str(note.signed_at), sorted(note.values.items()))
        for note in ClinicalNote.objects.select_related("patient")
    ]
    return sorted(rows, key=repr)
