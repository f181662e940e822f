"""Stable views of the demo memberships (no database ids), to compare two seedings."""

from careloop.memberships.models import EntitlementEntry, Membership


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
    return sorted(
        (
            entry.patient.email,
            entry.service.code,
            entry.kind,
            str(entry.quantity),
            str(entry.period_start),
            str(entry.occurred_on),
            entry.source_id,
        )
        for entry in EntitlementEntry.objects.select_related("patient", "service")
    )
