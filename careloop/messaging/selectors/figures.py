"""Response-time figures for the SLA dashboard: per plan and per person.

Everything is read from the response clocks that started in the range, grouped by the plan
or the responder recorded on each clock: counts are SQL aggregates, and the median is taken
over one integer column (the business seconds each reply took, recorded when it was sent),
so no calendar is replayed and no reply is joined. PostgreSQL computes the median in the
same query (`percentile_cont`); SQLite has no such aggregate, so there the reply times are
read once and the median taken in Python. Both give the mean of the two middle values for
an even count.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import median

from django.db import connections
from django.db.models import Aggregate, Count, F, FloatField, Model, Q, QuerySet

from careloop.accounts.models import User
from careloop.memberships.models import Plan
from careloop.messaging.models import ResponseClock

ANSWERED = Q(answered_at__isnull=False)
LATE = Q(answered_at__gt=F("due_at"))


@dataclass(frozen=True)
class ResponseFigures:
    """One row of the dashboard. `measured` counts messages answered or already past due;
    `breaches` those answered late or still waiting past due."""

    key: int | None
    label: str
    messages: int
    answered: int
    within_target: int
    breaches: int
    members: int
    median_response_hours: float | None

    @property
    def measured(self) -> int:
        return self.within_target + self.breaches

    @property
    def share_within_target(self) -> float | None:
        return self.within_target / self.measured if self.measured else None

    @property
    def messages_per_member(self) -> float | None:
        return self.messages / self.members if self.members else None


class Median(Aggregate):
    """The median of a column on PostgreSQL; NULLs (unanswered messages) are left out."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _median_in_database(clocks: QuerySet[ResponseClock]) -> bool:
    return connections[clocks.db].vendor == "postgresql"


def _clocks(since: datetime, until: datetime) -> QuerySet[ResponseClock]:
    return ResponseClock.objects.filter(started_at__gte=since, started_at__lt=until)


def _seconds(
    clocks: QuerySet[ResponseClock], *keys: str
) -> list[dict[int | None, list[int]] | None]:
    """The business seconds of each answered clock, grouped by each of `keys`, in one read;
    None for each key where the database computes the medians itself."""
    if _median_in_database(clocks):
        return [None for _ in keys]
    grouped: list[dict[int | None, list[int]]] = [defaultdict(list) for _ in keys]
    for row in clocks.filter(response_business_seconds__isnull=False).values_list(
        *keys, "response_business_seconds"
    ):
        spent = row[-1]
        for index, group in enumerate(row[:-1]):
            grouped[index][group].append(spent)
    return list(grouped)


@dataclass(frozen=True)
class Grouping:
    """What a table groups the clocks by, and the model and field that name each group."""

    key: str
    model: type[Model]
    label: str


PLAN = Grouping("plan_id", Plan, "name")
PERSON = Grouping("responder_id", User, "username")


def _figures(
    clocks: QuerySet[ResponseClock],
    grouping: Grouping,
    until: datetime,
    seconds: dict[int | None, list[int]] | None,
) -> list[ResponseFigures]:
    """The rows grouped by the grouping's key (integers only: the names are read after, for
    the few groups there are); the medians come from `seconds` when it is given (SQLite),
    from the database otherwise. Named groups first by name, then the unnamed one."""
    key = grouping.key
    waiting_late = Q(answered_at__isnull=True, stopped_at__isnull=True, due_at__lte=until)
    medians = {} if seconds is not None else {"median": Median("response_business_seconds")}
    rows = list(
        clocks.values(key)
        .annotate(
            messages=Count("id"),
            answered=Count("id", filter=ANSWERED),
            within_target=Count("id", filter=ANSWERED & ~LATE),
            breaches=Count("id", filter=(ANSWERED & LATE) | waiting_late),
            members=Count("patient", distinct=True),
            **medians,
        )
        .order_by()
    )
    names = dict(
        grouping.model._default_manager.filter(
            pk__in=[row[key] for row in rows if row[key] is not None]
        )
        .values_list("pk", grouping.label)
        .order_by()
    )
    figures = [
        ResponseFigures(
            key=row[key],
            label=names.get(row[key], ""),
            messages=row["messages"],
            answered=row["answered"],
            within_target=row["within_target"],
            breaches=row["breaches"],
            members=row["members"],
            median_response_hours=_hours(
                row["median"] if seconds is None else _median(seconds.get(row[key]))
            ),
        )
        for row in rows
    ]
    return sorted(figures, key=lambda row: (row.key is None, row.label, row.key or 0))


def _median(values: list[int] | None) -> float | None:
    return median(values) if values else None


def _hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 2) if seconds is not None else None


@dataclass(frozen=True)
class Dashboard:
    by_plan: list[ResponseFigures]
    by_person: list[ResponseFigures]


def response_dashboard(*, since: datetime, until: datetime) -> Dashboard:
    """Both tables of the dashboard; on SQLite the reply times are read once for both."""
    clocks = _clocks(since, until)
    per_plan, per_person = _seconds(clocks, PLAN.key, PERSON.key)
    return Dashboard(
        by_plan=_figures(clocks, PLAN, until, per_plan),
        by_person=_figures(clocks, PERSON, until, per_person),
    )


def response_figures_by_plan(*, since: datetime, until: datetime) -> list[ResponseFigures]:
    """Per plan (the tier each message's target came from), for messages sent in the range."""
    clocks = _clocks(since, until)
    (seconds,) = _seconds(clocks, PLAN.key)
    return _figures(clocks, PLAN, until, seconds)


def response_figures_by_person(*, since: datetime, until: datetime) -> list[ResponseFigures]:
    """Per person who answered (unanswered messages count under nobody, key None)."""
    clocks = _clocks(since, until)
    (seconds,) = _seconds(clocks, PERSON.key)
    return _figures(clocks, PERSON, until, seconds)
