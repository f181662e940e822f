"""Background tasks of memberships. Each is idempotent: running one twice changes nothing twice."""

from django_tasks import task

from careloop.core import clock
from careloop.memberships.lifecycle import COVERING
from careloop.memberships.models import Membership
from careloop.memberships.services.entitlements import entitlement_grant_period
from careloop.memberships.services.scheduled import scheduled_changes_apply_due


@task()
def apply_due_scheduled_changes() -> int:
    """Apply the scheduled changes whose date has come (every 15 minutes)."""
    return scheduled_changes_apply_due()


@task()
def grant_current_entitlements() -> int:
    """Write this period's allowance grants (and rollovers) for every covering membership.

    Holds and uses write a missing grant themselves; this job makes balances and rollovers
    visible from the first day of a period even before anyone books. Idempotent: a period is
    granted once (a unique constraint), so hourly runs after the first write nothing.
    """
    today = clock.today()
    granted = 0
    covering = Membership.objects.filter(status__in=list(COVERING)).order_by("id")
    for membership in covering.iterator(chunk_size=500):
        granted += len(entitlement_grant_period(membership=membership, on=today))
    return granted
