"""Status changes of many memberships at once, for a billing batch's failed charges.

`memberships_transition_many` is `membership_transition` (services/lifecycle.py) for many
memberships and the actions that cascade nothing (both statuses cover their members, or
neither does, and no coverage row, hold or scheduled change moves): one update of the
memberships, one insert of their history, their audit events as one chain segment. It
checks the same lifecycle table and the same dates, and tells the other areas the same
MembershipChanged events.
"""

from collections import defaultdict
from datetime import date

from django.db.models import Max

from careloop.accounts.models import User
from careloop.audit.services import AuditEntry, audit_record_many
from careloop.core import clock
from careloop.core.bulk import rows_update
from careloop.memberships.events import MembershipChanged, publish
from careloop.memberships.lifecycle import COVERING, Action, target_status
from careloop.memberships.models import (
    Membership,
    MembershipMember,
    MembershipStatus,
    StatusChange,
)
from careloop.memberships.services.lifecycle import (
    audited_patients,
    refuse_before_last_change,
    transition_detail,
)

# Actions whose only effect is the status: no coverage, entitlement or schedule moves.
STATUS_ONLY = frozenset({Action.MARK_PAST_DUE, Action.RECOVER})


def memberships_lock(membership_ids: list[int]) -> list[Membership]:
    """The memberships, locked in id order so that two processes locking several never
    deadlock. Only the membership rows: a status change reads neither plan nor price, and
    those rows are shared by every invoice line a billing worker writes."""
    return list(
        Membership.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(set(membership_ids)))
        .order_by("id")
    )


def memberships_transition_many(
    *, actor: User | None, memberships: list[Membership], action: Action
) -> list[StatusChange]:
    """Apply a status-only `action` to locked memberships (memberships_lock) as of today,
    as `membership_transition` does to each. Refuses, changing nothing, what the lifecycle
    table or the dates refuse (IllegalTransition, ValidationFailed). Runs inside the
    caller's transaction."""
    assert action in STATUS_ONLY, f"{action} cascades; apply it one membership at a time"
    if not memberships:
        return []
    today = clock.today()
    now = clock.now()
    ids = [membership.pk for membership in memberships]
    last_changes: dict[int, date] = dict(
        StatusChange.objects.filter(membership_id__in=ids)
        .values("membership_id")
        .annotate(last=Max("effective_on"))
        .values_list("membership_id", "last")
    )
    members: dict[int, list[tuple[int, date | None]]] = defaultdict(list)
    for membership_id, patient_id, left_on in MembershipMember.objects.filter(
        membership_id__in=ids
    ).values_list("membership_id", "patient_id", "left_on"):
        members[membership_id].append((patient_id, left_on))
    changes = []
    audits = []
    for membership in memberships:
        current = MembershipStatus(membership.status)
        target = target_status(current, action)
        assert (current in COVERING) == (target in COVERING)
        refuse_before_last_change(membership, last_changes.get(membership.pk), today)
        membership.status = target
        membership.updated_at = now
        changes.append(
            StatusChange(
                membership=membership,
                action=action.value,
                from_status=current,
                to_status=target,
                effective_on=today,
                recorded_at=now,
                actor=actor,
            )
        )
        detail = transition_detail(current, target, today)
        audits += [
            AuditEntry(
                f"membership.{action.value}",
                actor,
                patient_id=patient_id,
                object_type="membership",
                object_id=membership.pk,
                detail=detail,
            )
            for patient_id in audited_patients(members[membership.pk])
        ]
    rows_update(memberships, ["status", "updated_at"])
    changes = StatusChange.objects.bulk_create(changes)
    audit_record_many(audits)
    for change in changes:
        publish(
            MembershipChanged(
                membership=change.membership,
                action=action.value,
                effective_on=today,
                key=f"status_change:{change.pk}",
                actor=actor,
            )
        )
    return changes
