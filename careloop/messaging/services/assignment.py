"""Claiming, assigning, reassigning, closing and reopening threads.

`thread_transition` is the one function that changes a thread's status or assignee: it locks
the thread, checks the lifecycle table, records a ThreadChange (who, when, why) and an audit
row in one transaction.
"""

from datetime import datetime
from typing import Final

from django.db import transaction

from careloop.accounts.models import User
from careloop.accounts.policy import Capability
from careloop.accounts.roles import STAFF_ROLES, Role
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import Conflict, PermissionDenied, ValidationFailed
from careloop.messaging.access import thread_refusal
from careloop.messaging.lifecycle import ThreadAction, thread_target
from careloop.messaging.models import Thread, ThreadChange, ThreadStatus
from careloop.messaging.services.clocks import clocks_stop
from careloop.messaging.services.notices import notify_assignment
from careloop.messaging.services.routing import away_ids, stand_in


class _Unchanged:
    pass


UNCHANGED: Final = _Unchanged()


def _required_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed.single("reason", "Say why (it is kept in the history).", "required")
    return reason


def _check_assignee(assignee: User | None) -> None:
    if assignee is not None and (not assignee.is_active or Role(assignee.role) not in STAFF_ROLES):
        raise ValidationFailed.single(
            "assignee", "Assign the thread to an active staff member.", "not_staff"
        )


def record_thread_change(
    thread: Thread,
    action: str,
    *,
    actor: User | None,
    now: datetime,
    from_status: str,
    from_assignee: User | None,
    reason: str = "",
    detail: dict[str, object] | None = None,
) -> None:
    """The thread's history row and audit event for a change just saved on `thread` (its
    status and assignee are the new ones); `actor` None is Careloop itself."""
    ThreadChange.objects.create(
        thread=thread,
        action=action,
        from_status=from_status,
        to_status=thread.status,
        from_assignee=from_assignee,
        to_assignee=thread.assignee,
        recorded_at=now,
        actor=actor,
        reason=reason,
    )
    audit_record(
        action=f"message.thread_{action}",
        actor=actor,
        patient_id=thread.patient_id,
        object_type="message_thread",
        object_id=thread.pk,
        detail={
            **(detail or {}),
            "from_assignee": from_assignee.pk if from_assignee is not None else None,
            "to_assignee": thread.assignee_id,
        },
    )


def thread_transition(
    *,
    actor: User,
    thread: Thread,
    action: ThreadAction,
    capability: Capability,
    assignee: User | _Unchanged | None = UNCHANGED,
    reason: str = "",
    expect_unassigned: bool = False,
) -> Thread:
    """Apply `action` to the thread: check who may, check the lifecycle table, record history
    and the audit row; nothing changes when any check refuses."""
    with transaction.atomic():
        locked = (
            Thread.objects.select_for_update(of=("self",))
            .select_related("patient", "team", "assignee")
            .get(pk=thread.pk)
        )
        refusal = thread_refusal(actor, locked, capability)
        if refusal is not None:
            raise refusal
        if actor.is_patient:
            # A patient may read and reply to their own thread; who holds it and whether it is
            # open is the care team's to decide.
            raise PermissionDenied(
                "Only the care team claims, assigns, closes or reopens a thread.", code="forbidden"
            )
        current = ThreadStatus(locked.status)
        target = thread_target(current, action)
        if expect_unassigned and locked.assignee is not None:
            raise Conflict(
                f"The thread is already assigned to {locked.assignee.get_full_name()}; "
                "reassign it with a reason instead.",
                code="thread_already_assigned",
            )
        before = locked.assignee
        now = clock.now()
        locked.status = target
        if isinstance(assignee, User) or assignee is None:
            if (assignee.pk if assignee else None) == (before.pk if before else None):
                raise ValidationFailed.single(
                    "assignee", "The thread is already assigned that way.", "unchanged"
                )
            locked.assignee = assignee
        if target == ThreadStatus.CLOSED:
            locked.closed_at = now
            clocks_stop(thread=locked, now=now)
        elif current == ThreadStatus.CLOSED:
            locked.closed_at = None
        locked.updated_at = now
        locked.save(update_fields=["status", "assignee", "closed_at", "updated_at"])
        record_thread_change(
            locked,
            action.value,
            actor=actor,
            now=now,
            from_status=current,
            from_assignee=before,
            reason=reason,
            detail={"from": str(current), "to": str(target)},
        )
        changed_hands = locked.assignee_id != (before.pk if before else None)
        if locked.assignee is not None and changed_hands and locked.assignee_id != actor.pk:
            notify_assignment(locked, locked.assignee)
    thread.refresh_from_db()
    return thread


def thread_claim(*, actor: User, thread: Thread) -> Thread:
    """Take an unassigned thread of one's team."""
    return thread_transition(
        actor=actor,
        thread=thread,
        action=ThreadAction.CLAIM,
        capability=Capability.MESSAGE_REPLY,
        assignee=actor,
        expect_unassigned=True,
    )


def thread_assign(*, actor: User, thread: Thread, assignee: User, reason: str = "") -> Thread:
    """Give an unassigned thread to a staff member."""
    _check_assignee(assignee)
    return thread_transition(
        actor=actor,
        thread=thread,
        action=ThreadAction.ASSIGN,
        capability=Capability.MESSAGE_ASSIGN,
        assignee=assignee,
        reason=reason.strip(),
        expect_unassigned=True,
    )


def thread_reassign(*, actor: User, thread: Thread, assignee: User | None, reason: str) -> Thread:
    """Move an assigned thread to someone else (or back to the team's pool with None), with a
    reason. The current assignee may hand their own thread on; others need message.assign."""
    reason = _required_reason(reason)
    _check_assignee(assignee)
    own = thread.assignee_id is not None and thread.assignee_id == actor.pk
    return thread_transition(
        actor=actor,
        thread=thread,
        action=ThreadAction.REASSIGN,
        capability=Capability.MESSAGE_REPLY if own else Capability.MESSAGE_ASSIGN,
        assignee=assignee,
        reason=reason,
    )


def thread_close(*, actor: User, thread: Thread, reason: str = "") -> Thread:
    """Close the thread; its waiting response clocks stop (no warning or breach follows)."""
    return thread_transition(
        actor=actor,
        thread=thread,
        action=ThreadAction.CLOSE,
        capability=Capability.MESSAGE_REPLY,
        reason=reason.strip(),
    )


def thread_reopen(*, actor: User, thread: Thread, reason: str = "") -> Thread:
    return thread_transition(
        actor=actor,
        thread=thread,
        action=ThreadAction.REOPEN,
        capability=Capability.MESSAGE_REPLY,
        reason=reason.strip(),
    )


def thread_cover_if_away(thread: Thread, now: datetime) -> bool:
    """A patient wrote in a thread whose assignee is out of office: it passes to their cover,
    or back to the team's pool when there is none (or the cover is away too), with the
    reason in the history and a notice to the cover. Runs inside the caller's transaction,
    with the thread's row locked. True when the thread changed hands."""
    away = thread.assignee
    if away is None or not away_ids([away.pk], now):
        return False
    cover = stand_in(away, now)
    thread.assignee = cover
    thread.updated_at = now
    thread.save(update_fields=["assignee", "updated_at"])
    reason = f"{away.display_name} is out of office; " + (
        f"{cover.display_name} covers." if cover is not None else "back to the team's pool."
    )
    record_thread_change(
        thread,
        ThreadAction.REASSIGN.value,
        actor=None,
        now=now,
        from_status=thread.status,
        from_assignee=away,
        reason=reason,
    )
    if cover is not None:
        notify_assignment(thread, cover)
    return True
