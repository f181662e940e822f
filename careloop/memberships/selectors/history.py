"""Reading a membership's past for staff pages: its status history, its ledger this period,
and the memberships list with its filters."""

from datetime import date

from django.db.models import Count, Q, QuerySet

from careloop.core import clock
from careloop.memberships.models import (
    EntitlementEntry,
    Membership,
    MembershipStatus,
    StatusChange,
)


def membership_history(*, membership: Membership) -> list[StatusChange]:
    """Every recorded lifecycle action, oldest first, with who did it."""
    return list(
        StatusChange.objects.filter(membership=membership)
        .select_related("actor")
        .order_by("recorded_at", "id")
    )


def membership_ledger_now(
    *, membership: Membership, on: date | None = None
) -> list[EntitlementEntry]:
    """The ledger entries of the allowance periods that contain `on` (today), in order."""
    day = clock.today() if on is None else on
    return list(
        EntitlementEntry.objects.filter(
            membership=membership, period_start__lte=day, period_end__gt=day
        )
        .select_related("patient", "service", "actor")
        .order_by("id")
    )


def memberships_filtered(*, status: str = "", plan_id: int | None = None) -> QuerySet[Membership]:
    """Memberships, newest first, optionally of one status and one plan.

    Each row carries `member_count` (members still covered) for the list page.
    """
    rows = Membership.objects.select_related("plan", "payer_patient", "sponsor").annotate(
        member_count=Count("members", filter=Q(members__left_on__isnull=True), distinct=True)
    )
    if status in MembershipStatus.values:
        rows = rows.filter(status=status)
    if plan_id is not None:
        rows = rows.filter(plan_id=plan_id)
    return rows.order_by("-start_date", "-id")
