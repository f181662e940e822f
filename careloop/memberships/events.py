"""What other areas hear about memberships, inside the same transaction.

Memberships never import billing, care or scheduling; those apps register a listener here when
Django starts (their AppConfig.ready) and are called, in registration order, after every
enrollment and every applied lifecycle action, inside the transaction that made it. A listener
that raises rolls the change back with it, so a membership never changes without its invoice.
Side effects that leave the process (a charge, an email) belong in transaction.on_commit.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from careloop.accounts.models import User
from careloop.memberships.models import Membership


@dataclass(frozen=True)
class MembershipChanged:
    membership: Membership
    action: str  # "enroll", or a careloop.memberships.lifecycle.Action value
    effective_on: date
    key: str  # unique per change: "enroll:<membership>" or "status_change:<id>"
    actor: User | None


Listener = Callable[[MembershipChanged], None]

_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def publish(event: MembershipChanged) -> None:
    for listener in list(_listeners):
        listener(event)


# Scheduled changes that must wait: each hold names, as a condition on ScheduledChange rows,
# the changes whose date has come but that another area applies itself, in its own order.
# Billing holds a change while its membership has a period to bill that starts before the
# change's date, so that the period is billed on the terms it started with.
Hold = Callable[[], Q]

_holds: list[Hold] = []


def hold_changes(hold: Hold) -> None:
    if hold not in _holds:
        _holds.append(hold)


def changes_held() -> Q | None:
    """The condition matching every held scheduled change, or None when nothing holds any."""
    held: Q | None = None
    for hold in _holds:
        held = hold() if held is None else held | hold()
    return held
