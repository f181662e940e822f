"""Response clocks: started by each patient message, answered by a staff reply, stopped by
closing the thread. The thread's `due_at` follows them in the same transaction."""

from datetime import datetime

from django.db.models import Min

from careloop.memberships.models import Plan
from careloop.messaging.models import Message, ResponseClock, Thread
from careloop.messaging.selectors.calendar import business_calendar, warn_share

WAITING = {"answered_at__isnull": True, "stopped_at__isnull": True}


def clock_start(
    *, message: Message, target_business_hours: int, now: datetime, plan: Plan | None = None
) -> ResponseClock:
    """Start the clock of a patient message: due after the plan's business hours, with the
    warning at CARELOOP_MESSAGING_WARN_AT_PERCENT of them."""
    calendar = business_calendar()
    due_at = calendar.due(now, target_business_hours)
    warn_at = calendar.due(now, target_business_hours * warn_share())
    clock = ResponseClock.objects.create(
        message=message,
        thread=message.thread,
        patient_id=message.thread.patient_id,
        plan=plan,
        target_business_hours=target_business_hours,
        started_at=now,
        warn_at=warn_at,
        due_at=due_at,
    )
    _refresh_due(message.thread)
    return clock


def clocks_answer(*, thread: Thread, reply: Message, now: datetime) -> int:
    """A staff reply answers every patient message of the thread still waiting, recording the
    business time each waited."""
    waiting = list(ResponseClock.objects.filter(thread=thread, **WAITING))
    if waiting:
        calendar = business_calendar()
        for clock in waiting:
            clock.answered_at = now
            clock.answered_by = reply
            clock.responder_id = reply.author_id
            elapsed = calendar.elapsed(clock.started_at, now)
            clock.response_business_seconds = int(elapsed.total_seconds())
        ResponseClock.objects.bulk_update(
            waiting, ["answered_at", "answered_by", "responder", "response_business_seconds"]
        )
    _refresh_due(thread)
    return len(waiting)


def clocks_stop(*, thread: Thread, now: datetime) -> int:
    """Closing a thread stops its waiting clocks: no warning or breach follows."""
    stopped = ResponseClock.objects.filter(thread=thread, **WAITING).update(stopped_at=now)
    _refresh_due(thread)
    return stopped


def _refresh_due(thread: Thread) -> None:
    due_at = ResponseClock.objects.filter(thread=thread, **WAITING).aggregate(first=Min("due_at"))[
        "first"
    ]
    Thread.objects.filter(pk=thread.pk).update(due_at=due_at)
    thread.due_at = due_at
