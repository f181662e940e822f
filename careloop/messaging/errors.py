from typing import TYPE_CHECKING

from careloop.core.errors import Conflict, PermissionDenied

if TYPE_CHECKING:
    from careloop.messaging.selectors.eligibility import Eligibility


class IllegalThreadTransition(Conflict):
    """The action is not allowed in the thread's current status."""

    code = "illegal_thread_transition"


class ThreadClosed(Conflict):
    """Nobody writes to a closed thread: the patient starts a new one, staff reopen it."""

    code = "thread_closed"


class MessagingNotAllowed(PermissionDenied):
    """The patient may not write now; `eligibility` says why and what to do instead."""

    code = "messaging_not_allowed"

    def __init__(self, eligibility: "Eligibility") -> None:
        super().__init__(eligibility.reason, code=str(eligibility.outcome))
        self.eligibility = eligibility


class DailyLimitReached(Conflict):
    """The patient sent as many messages today as their plan allows."""

    code = "daily_message_limit"
    status = 429


class NoRoute(Conflict):
    """No routing rule covers the topic, so nobody would see the thread."""

    code = "no_route"
