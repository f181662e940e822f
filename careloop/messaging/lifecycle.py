"""The thread lifecycle as data: which action may run in which status, and where it leads.

`thread_transition` (services/assignment.py) is the one function that changes a thread's
status or assignee: it checks this table and records history."""

from enum import StrEnum

from careloop.messaging.errors import IllegalThreadTransition
from careloop.messaging.models import ThreadStatus as S


class ThreadAction(StrEnum):
    OPEN = "open"
    CLAIM = "claim"
    ASSIGN = "assign"
    REASSIGN = "reassign"
    CLOSE = "close"
    REOPEN = "reopen"


THREAD_TRANSITIONS: dict[ThreadAction, dict[S, S]] = {
    ThreadAction.CLOSE: {S.OPEN: S.CLOSED},
    ThreadAction.REOPEN: {S.CLOSED: S.OPEN},
    # Actions that keep the status, allowed while the thread is open.
    ThreadAction.CLAIM: {S.OPEN: S.OPEN},
    ThreadAction.ASSIGN: {S.OPEN: S.OPEN},
    ThreadAction.REASSIGN: {S.OPEN: S.OPEN},
}


def thread_target(status: S, action: ThreadAction) -> S:
    target = THREAD_TRANSITIONS[action].get(status)
    if target is None:
        allowed = ", or ".join(sorted(s.label.lower() for s in THREAD_TRANSITIONS[action]))
        raise IllegalThreadTransition(
            f"A thread that is {status.label.lower()} cannot {action.value}; that is possible "
            f"only when it is {allowed}."
        )
    return target
