"""The membership lifecycle as data: which action may run in which status, and where it leads.

`membership_transition` (services/lifecycle.py) is the one function that applies a status
change: it checks this table, records history and cascades. Actions that change terms but not
status (plan, interval, members, price) are listed with the statuses they may run in.
"""

from enum import StrEnum

from careloop.memberships.errors import IllegalTransition
from careloop.memberships.models import MembershipStatus as S


class Action(StrEnum):
    ACTIVATE = "activate"
    MARK_PAST_DUE = "mark_past_due"
    RECOVER = "recover"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    REACTIVATE = "reactivate"
    END = "end"
    CHANGE_PLAN = "change_plan"
    CHANGE_INTERVAL = "change_interval"
    ADD_MEMBER = "add_member"
    REMOVE_MEMBER = "remove_member"
    CHANGE_PRICE = "change_price"


TRANSITIONS: dict[Action, dict[S, S]] = {
    Action.ACTIVATE: {S.PENDING: S.ACTIVE},
    Action.MARK_PAST_DUE: {S.ACTIVE: S.PAST_DUE},
    Action.RECOVER: {S.PAST_DUE: S.ACTIVE},
    Action.PAUSE: {S.ACTIVE: S.PAUSED},
    Action.RESUME: {S.PAUSED: S.ACTIVE},
    Action.CANCEL: {
        S.PENDING: S.CANCELLED,
        S.ACTIVE: S.CANCELLED,
        S.PAST_DUE: S.CANCELLED,
        S.PAUSED: S.CANCELLED,
    },
    Action.REACTIVATE: {S.CANCELLED: S.ACTIVE},
    Action.END: {S.CANCELLED: S.ENDED},
}

# Actions that keep the status; the set says where they may run.
TERM_ACTIONS: dict[Action, frozenset[S]] = {
    Action.CHANGE_PLAN: frozenset({S.PENDING, S.ACTIVE}),
    Action.CHANGE_INTERVAL: frozenset({S.PENDING, S.ACTIVE}),
    Action.ADD_MEMBER: frozenset({S.PENDING, S.ACTIVE, S.PAUSED}),
    Action.REMOVE_MEMBER: frozenset({S.PENDING, S.ACTIVE, S.PAUSED, S.PAST_DUE}),
    Action.CHANGE_PRICE: frozenset({S.PENDING, S.ACTIVE, S.PAST_DUE, S.PAUSED}),
}

# Statuses in which the membership covers its members (past due follows the clinic's policy).
COVERING = frozenset({S.ACTIVE, S.PAST_DUE})


def target_status(status: S, action: Action) -> S:
    """The status `action` leads to from `status`; an IllegalTransition when it is not allowed."""
    if action in TRANSITIONS:
        target = TRANSITIONS[action].get(status)
        if target is None:
            raise IllegalTransition(_refusal(status, action))
        return target
    if status not in TERM_ACTIONS[action]:
        raise IllegalTransition(_refusal(status, action))
    return status


def _refusal(status: S, action: Action) -> str:
    allowed = (
        sorted(str(s.label) for s in TRANSITIONS[action])
        if action in TRANSITIONS
        else sorted(str(s.label) for s in TERM_ACTIONS[action])
    )
    return (
        f"A membership that is {S(status).label.lower()} cannot {action.value.replace('_', ' ')}; "
        f"that is possible only when it is {', or '.join(a.lower() for a in allowed)}."
    )
