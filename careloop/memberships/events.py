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
