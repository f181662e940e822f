"""Wall-clock times in a zone, turned into instants the same way everywhere.

A wall-clock time the zone skips (2:30 on the morning clocks go forward) does not exist: a
slot there is not offered, and `instant` refuses it. A time the zone repeats (1:30 on the
morning clocks go back) is taken once, at its first occurrence (fold=0), so it is never
offered or counted twice.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def exists(moment: datetime, zone: ZoneInfo) -> bool:
    """Whether the naive wall-clock `moment` happens in `zone` (it is not in a skipped hour)."""
    aware = moment.replace(tzinfo=zone, fold=0)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == moment


def instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of `at` on `day` in `zone`: the first one when the hour repeats.

    In a skipped hour zoneinfo applies the offset from before the change, which lands as many
    minutes after the change as the time was after the hour began (2:30 -> 3:30), as RFC 5545
    asks for recurring events.
    """
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)
