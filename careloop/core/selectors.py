from functools import cache
from zoneinfo import available_timezones

from careloop.core.models import ClinicSettings, Holiday


def clinic_settings() -> ClinicSettings:
    """The clinic's settings row, created with defaults on first use."""
    settings_row = ClinicSettings.objects.order_by("id").first()
    if settings_row is None:
        settings_row, _ = ClinicSettings.objects.get_or_create(id=1)
    return settings_row


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA time zone this machine knows, sorted; read from disk once per process."""
    return tuple(sorted(available_timezones()))


def holidays() -> list[Holiday]:
    return list(Holiday.objects.order_by("date"))
