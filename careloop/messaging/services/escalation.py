"""Response-time escalation: warn the assignee at a share of the target, the team lead at
breach, each once.

Each warning or breach is its own transaction, under the thread's row lock: a conditional
UPDATE stamps `warned_at` (or `breached_at`) only while it is still empty and the clock still
waiting, and the notices and audit row are written only when that UPDATE changed the row. A
second worker sweeping at the same moment waits on the lock, finds the stamp and sends
nothing; a rerun finds nothing to do. A clock already past due when the sweep first sees it
is not warned about, only breached (two notices in one sweep would read as a fault).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.audit.services import audit_record
from careloop.messaging.models import ResponseClock, Thread, ThreadStatus
from careloop.messaging.services.notices import notify_response_breach, notify_response_warning


@dataclass(frozen=True)
class EscalationResult:
    warned: int
    breached: int

    @property
    def total(self) -> int:
        return self.warned + self.breached


WAITING = {"answered_at__isnull": True, "stopped_at__isnull": True}


def _warning_recipients(clock: ResponseClock) -> list[User]:
    thread = clock.thread
    if thread.assignee is not None and thread.assignee.is_active:
        return [thread.assignee]
    if thread.team.lead is not None and thread.team.lead.is_active:
        return [thread.team.lead]
    return list(User.objects.filter(role=thread.team.role, is_active=True).order_by("id"))


def _breach_recipients(clock: ResponseClock) -> list[User]:
    lead = clock.thread.team.lead
    if lead is not None and lead.is_active:
        return [lead]
    return list(User.objects.filter(role=Role.ADMIN, is_active=True).order_by("id"))


def _stamp(clock: ResponseClock, field: str, now: datetime) -> bool:
    return bool(
        ResponseClock.objects.filter(pk=clock.pk, **WAITING, **{f"{field}__isnull": True}).update(
            **{field: now}
        )
    )


def _lock_thread(clock: ResponseClock) -> None:
    # Thread first, then clock: the order a reply or a close takes them, so a sweep and a
    # reply at the same moment queue instead of deadlocking.
    Thread.objects.select_for_update().filter(pk=clock.thread_id).values_list("id").first()


def _take_step(
    clock: ResponseClock,
    now: datetime,
    *,
    field: str,
    recipients_of: Callable[[ResponseClock], list[User]],
    notify: Callable[[Thread, User, datetime], None],
    action: str,
) -> bool:
    """Stamp the clock's step (`warned_at` or `breached_at`), notify and audit, once."""
    with transaction.atomic():
        _lock_thread(clock)
        if not _stamp(clock, field, now):
            return False
        recipients = recipients_of(clock)
        for recipient in recipients:
            notify(clock.thread, recipient, clock.due_at)
        audit_record(
            action=action,
            actor=None,
            patient_id=clock.thread.patient_id,
            object_type="message",
            object_id=clock.message_id,
            detail={"thread": clock.thread_id, "notified": [user.pk for user in recipients]},
        )
    return True


def _warn(clock: ResponseClock, now: datetime) -> bool:
    return _take_step(
        clock,
        now,
        field="warned_at",
        recipients_of=_warning_recipients,
        notify=notify_response_warning,
        action="message.response_warning",
    )


def _breach(clock: ResponseClock, now: datetime) -> bool:
    return _take_step(
        clock,
        now,
        field="breached_at",
        recipients_of=_breach_recipients,
        notify=notify_response_breach,
        action="message.response_breach",
    )


def messaging_escalate(*, now: datetime) -> EscalationResult:
    """Send every warning and breach notice due by `now` that no sweep has sent yet.

    Safe to run again and in several processes at once (see the module docstring).
    """
    related = ("thread__assignee", "thread__team__lead")
    to_warn = (
        ResponseClock.objects.filter(
            **WAITING,
            warned_at__isnull=True,
            breached_at__isnull=True,
            warn_at__lte=now,
            due_at__gt=now,
            thread__status=ThreadStatus.OPEN,
        )
        .select_related(*related)
        .order_by("warn_at", "id")
    )
    warned = sum(_warn(clock, now) for clock in list(to_warn))
    to_breach = (
        ResponseClock.objects.filter(
            **WAITING,
            breached_at__isnull=True,
            due_at__lte=now,
            thread__status=ThreadStatus.OPEN,
        )
        .select_related(*related)
        .order_by("due_at", "id")
    )
    breached = sum(_breach(clock, now) for clock in list(to_breach))
    return EscalationResult(warned=warned, breached=breached)
