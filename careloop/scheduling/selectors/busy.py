"""The time a search keeps clear, read in one query: each provider's visits that hold time,
joined where they overlap or touch, and their time off."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import QuerySet, Value

from careloop.core.db_functions import EpochMicroseconds, epoch_microseconds_postgresql
from careloop.scheduling.availability import Micros, Span, joined, moment
from careloop.scheduling.models import (
    HOLDS_TIME,
    MAX_BUFFER_MINUTES,
    MAX_DURATION_MINUTES,
    Appointment,
    TimeOff,
)

_LONGEST_HOLD = timedelta(minutes=MAX_DURATION_MINUTES + MAX_BUFFER_MINUTES)


@dataclass(frozen=True)
class BusyTime:
    """Per provider: the visits that hold time (start to the end of the buffer, microseconds),
    joined and in time order; and the time off."""

    visits: dict[int, tuple[Micros, ...]]
    time_off: dict[int, tuple[Span, ...]]


def busy_time(
    *,
    provider_ids: Iterable[int],
    opens: datetime,
    closes: datetime,
    buffer: timedelta,
    ignore_appointment_ids: Iterable[int] = (),
) -> BusyTime:
    """The visits and time off of these providers that can clash with a visit starting from
    `opens` until `closes`, with a buffer of at most `buffer` after it.

    A month of a busy clinic is thousands of visits, mostly back to back. PostgreSQL joins
    them itself (`range_agg`, whose multirange joins ranges that overlap or touch), so about a
    third as many rows come back; SQLite sends them as stored and they are joined here, so both
    databases give the same answer.
    """
    providers = list(provider_ids)
    visits = (
        Appointment.objects.filter(
            provider_id__in=providers,
            status__in=HOLDS_TIME,
            # A visit clashes with a start after it as long as its buffer lasts.
            start_at__lt=closes + buffer,
            # A lower bound on the start keeps the index scan to the range: no visit holds time
            # for longer than the longest visit and buffer together.
            start_at__gt=opens - _LONGEST_HOLD,
            blocked_until__gt=opens,
        )
        .exclude(pk__in=list(ignore_appointment_ids))
        # Not sorted by the database: where the table's pages are not all visible (recent
        # visits change status) PostgreSQL reads through a bitmap and would add a sort of
        # thousands of rows; a provider's few joined stretches are sorted here instead.
        .order_by()
    )
    time_off = (
        TimeOff.objects.filter(provider_id__in=providers, start_at__lt=closes, end_at__gt=opens)
        .order_by()
        .values_list(
            "provider_id", EpochMicroseconds("start_at"), EpochMicroseconds("end_at"), Value(True)
        )
    )
    if connection.vendor == "postgresql":
        sql, params = _joined_by_postgresql(visits, time_off)
    else:
        sql, params = (
            visits.values_list(
                "provider_id",
                EpochMicroseconds("start_at"),
                EpochMicroseconds("blocked_until"),
                Value(False),
            )
            .union(time_off, all=True)
            .query.sql_with_params()
        )
    # A plain cursor: the rows are integers already, and Django's per-row handling of
    # values_list costs more than the database's work here.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    held: dict[int, list[Micros]] = {}
    away: dict[int, list[Span]] = {}
    for provider_id, start, end, is_time_off in rows:
        if is_time_off:
            away.setdefault(provider_id, []).append(Span(moment(start), moment(end)))
        else:
            held.setdefault(provider_id, []).append((start, end))
    return BusyTime(
        visits={provider_id: joined(spans) for provider_id, spans in held.items()},
        time_off={provider_id: tuple(spans) for provider_id, spans in away.items()},
    )


def _joined_by_postgresql(
    visits: "QuerySet[Appointment]", time_off: QuerySet[Any]
) -> tuple[str, tuple[Any, ...]]:
    """The visits joined per provider, as instants in microseconds, then the time off: the
    ORM's own queries inside one statement, as the ORM has no way to select from a
    set-returning function's rows."""
    visits_sql, visits_params = visits.values_list(
        "provider_id", "start_at", "blocked_until"
    ).query.sql_with_params()
    time_off_sql, time_off_params = time_off.query.sql_with_params()
    start = epoch_microseconds_postgresql("lower(span)")
    end = epoch_microseconds_postgresql("upper(span)")
    sql = (
        f"SELECT provider_id, {start}, {end}, false FROM ("  # noqa: S608
        "SELECT provider_id, unnest(range_agg(tstzrange(start_at, blocked_until))) AS span"
        f" FROM ({visits_sql}) AS visit GROUP BY provider_id) AS joined"
        f" UNION ALL ({time_off_sql})"
    )
    return sql, (*visits_params, *time_off_params)
