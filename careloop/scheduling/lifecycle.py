"""The appointment lifecycle as data: which action may run in which status, and where it leads.

`appointment_transition` (services/status.py) is the one function that applies a change: it
checks this table, records the history and the audit row, and cascades.
"""

from enum import StrEnum

from careloop.scheduling.errors import IllegalTransition
from careloop.scheduling.models import AppointmentStatus as S


class Action(StrEnum):
    CONFIRM = "confirm"
    CHECK_IN = "check_in"
    COMPLETE = "complete"
    CANCEL = "cancel"
    NO_SHOW = "no_show"


TRANSITIONS: dict[Action, dict[S, S]] = {
    Action.CONFIRM: {S.SCHEDULED: S.CONFIRMED},
    Action.CHECK_IN: {S.SCHEDULED: S.CHECKED_IN, S.CONFIRMED: S.CHECKED_IN},
    Action.COMPLETE: {S.CHECKED_IN: S.COMPLETED},
    Action.CANCEL: {S.SCHEDULED: S.CANCELLED, S.CONFIRMED: S.CANCELLED},
    Action.NO_SHOW: {S.SCHEDULED: S.NO_SHOW, S.CONFIRMED: S.NO_SHOW},
}


def target_status(status: S, action: Action) -> S:
    """The status `action` leads to from `status`; an IllegalTransition when it is not allowed."""
    target = TRANSITIONS[action].get(status)
    if target is None:
        allowed = " or ".join(str(s.label).lower() for s in TRANSITIONS[action])
        raise IllegalTransition(
            f"An appointment that is {S(status).label.lower()} cannot be "
            f"{_past(action)}; that is possible only when it is {allowed}."
        )
    return target


def _past(action: Action) -> str:
    return {
        Action.CONFIRM: "confirmed",
        Action.CHECK_IN: "checked in",
        Action.COMPLETE: "completed",
        Action.CANCEL: "cancelled",
        Action.NO_SHOW: "marked a no-show",
    }[action]
