"""Scheduled changes: revoking one before its date, and applying the due ones."""

from datetime import date

from django.db import connection, transaction
from django.db.models import Q

from careloop.accounts.models import User
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import Conflict, ValidationFailed
from careloop.memberships.events import changes_held
from careloop.memberships.models import ChangeKind, ChangeStatus, ScheduledChange
from careloop.memberships.services.lifecycle import scheduled_change_apply


def scheduled_change_revoke(*, actor: User, change: ScheduledChange) -> ScheduledChange:
    """Take back a change that has not taken effect yet.

    The resume that ends a pause cannot be revoked when the plan limits how long a pause
    lasts: that would pause beyond the policy. Resume on another date instead.
    """
    with transaction.atomic():
        locked = (
            ScheduledChange.objects.select_for_update()
            .select_related("membership__plan")
            .get(pk=change.pk)
        )
        if locked.status != ChangeStatus.SCHEDULED:
            raise Conflict(
                f"This change was already {ChangeStatus(locked.status).label.lower()}; "
                "only a scheduled change can be revoked.",
                code="not_scheduled",
            )
        plan = locked.membership.plan
        if locked.kind == ChangeKind.RESUME and plan.pause_longest_months:
            raise ValidationFailed.single(
                "change",
                f"{plan.name} allows a pause of at most {plan.pause_longest_months} month"
                f"{'s' if plan.pause_longest_months != 1 else ''}, so its resume stays; "
                "resume on an earlier date instead.",
                "pause_too_long",
            )
        locked.status = ChangeStatus.REVOKED
        locked.revoked_at = clock.now()
        locked.revoked_by = actor
        locked.save(update_fields=["status", "revoked_at", "revoked_by"])
        patient_ids = sorted(
            set(
                locked.membership.members.filter(left_on__isnull=True).values_list(
                    "patient_id", flat=True
                )
            )
        )
        for patient_id in patient_ids:
            audit_record(
                action="membership.change_revoked",
                actor=actor,
                patient_id=patient_id,
                object_type="membership",
                object_id=locked.membership_id,
                detail={"change": locked.pk, "kind": locked.kind},
            )
    change.refresh_from_db()
    return change


def scheduled_changes_apply_due(*, on: date | None = None, leave: Q | None = None) -> int:
    """Apply every scheduled change due on or before `on` (today); return how many applied.

    Changes another area holds (memberships.events.hold_changes) are left to it, and so are
    those matching `leave`. Idempotent: each change is applied under its row lock only while
    still scheduled, so a second run, or a second worker, applies nothing twice. On
    PostgreSQL workers skip rows another worker holds. Changes apply in date order, so a
    membership's changes apply in the order they were meant to.
    """
    day = clock.today() if on is None else on
    due = ScheduledChange.objects.filter(status=ChangeStatus.SCHEDULED, effective_on__lte=day)
    for left in (changes_held(), leave):
        if left is not None:
            due = due.exclude(left)
    due_ids = list(due.order_by("effective_on", "id").values_list("id", flat=True))
    applied = 0
    for change_id in due_ids:
        with transaction.atomic():
            rows = ScheduledChange.objects.filter(pk=change_id, status=ChangeStatus.SCHEDULED)
            if connection.features.has_select_for_update_skip_locked:
                rows = rows.select_for_update(skip_locked=True)
            change = rows.first()
            if change is None:
                continue
            if scheduled_change_apply(change=change):
                applied += 1
    return applied
