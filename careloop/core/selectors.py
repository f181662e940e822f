from functools import cache
from zoneinfo import available_timezones

from careloop.core.models import ClinicSettings, Holiday


def clinic_settings() -> ClinicSettings:
    """The clinic's settings row, or unsaved defaults before an admin has saved any.

    Reading never writes: pages render on every request, and a read that created rows would
    turn a refused request into a change.
    """
    return ClinicSettings.objects.order_by("id").first() or ClinicSettings()


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA time zone this machine knows, sorted; read from disk once per process."""
    return tuple(sorted(available_timezones()))


def holidays() -> list[Holiday]:
    return list(Holiday.objects.order_by("date"))
