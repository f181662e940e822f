"""Reading the audit log: filtered pages, newest first, and the actions it holds."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from careloop.audit.models import AuditEvent

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilters:
    """Which events to show; an empty field matches everything.

    `occurred_from` is inclusive and `occurred_before` exclusive, so a range of whole clinic
    days is [midnight of the first, midnight after the last).
    """

    username: str = ""
    patient_id: int | None = None
    action: str = ""
    outcome: str = ""
    occurred_from: datetime | None = None
    occurred_before: datetime | None = None

    def names(self) -> list[str]:
        """The filters in use, for the audit event of viewing the log (names, not values)."""
        given = {
            "user": bool(self.username),
            "patient": self.patient_id is not None,
            "action": bool(self.action),
            "outcome": bool(self.outcome),
            "from": self.occurred_from is not None,
            "to": self.occurred_before is not None,
        }
        return [name for name, used in given.items() if used]


@dataclass(frozen=True)
class AuditEventPage:
    events: list[AuditEvent]
    has_newer: bool
    has_older: bool

    @property
    def newest_sequence(self) -> int | None:
        return self.events[0].sequence if self.events else None

    @property
    def oldest_sequence(self) -> int | None:
        return self.events[-1].sequence if self.events else None


def _filtered(filters: AuditFilters) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if filters.username:
        events = events.filter(actor_username=filters.username)
    if filters.patient_id is not None:
        events = events.filter(patient_id=filters.patient_id)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.occurred_from is not None:
        events = events.filter(occurred_at__gte=filters.occurred_from)
    if filters.occurred_before is not None:
        events = events.filter(occurred_at__lt=filters.occurred_before)
    return events


def audit_event_page(
    *,
    filters: AuditFilters,
    older_than: int | None = None,
    newer_than: int | None = None,
    size: int = PAGE_SIZE,
) -> AuditEventPage:
    """One page of matching events, newest first, keyed on sequence rather than an offset.

    Keyset paging keeps each page one index range however long the log grows, and pages do
    not shift while new events arrive (viewing the log is itself an event).
    """
    events = _filtered(filters)
    if newer_than is not None:
        rows = list(events.filter(sequence__gt=newer_than).order_by("sequence")[: size + 1])
        has_newer = len(rows) > size
        page = list(reversed(rows[:size]))
        has_older = events.filter(sequence__lte=newer_than).exists()
        return AuditEventPage(page, has_newer=has_newer, has_older=has_older)
    events_before = events if older_than is None else events.filter(sequence__lt=older_than)
    rows = list(events_before.order_by("-sequence")[: size + 1])
    has_newer = older_than is not None and events.filter(sequence__gte=older_than).exists()
    return AuditEventPage(rows[:size], has_newer=has_newer, has_older=len(rows) > size)


def audit_actions() -> list[str]:
    """Every action the log holds, in order.

    Found by hopping along the action index one value at a time (a loose index scan), which
    takes a few dozen index lookups however many million events there are, where DISTINCT
    would read them all.
    """
    actions: list[str] = []
    while True:
        later = AuditEvent.objects.order_by("action").values_list("action", flat=True)
        if actions:
            later = later.filter(action__gt=actions[-1])
        action = later.first()
        if action is None:
            return actions
        actions.append(action)
