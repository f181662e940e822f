from datetime import UTC, date, datetime, timedelta

import pytest

from careloop.core import clock
from careloop.core.models import ClinicSettings


def test_frozen_clock_returns_the_frozen_instant():
    instant = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    clock.freeze(instant)
    assert clock.now() == instant


def test_advance_moves_a_frozen_clock():
    clock.freeze(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    clock.advance(timedelta(minutes=16))
    assert clock.now() == datetime(2026, 3, 1, 12, 16, tzinfo=UTC)


def test_it_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        clock.freeze(datetime(2026, 3, 1, 12, 0))


@pytest.mark.django_db
def test_today_is_the_calendar_date_in_the_clinic_time_zone():
    ClinicSettings.objects.create(time_zone="America/Chicago")
    # 03:30 UTC on March 2nd is still the evening of March 1st in Chicago.
    clock.freeze(datetime(2026, 3, 2, 3, 30, tzinfo=UTC))
    assert clock.today() == date(2026, 3, 1)


def test_frozen_at_restores_the_previous_time():
    outer = datetime(2026, 1, 1, tzinfo=UTC)
    clock.freeze(outer)
    with clock.frozen_at(datetime(2027, 1, 1, tzinfo=UTC)):
        assert clock.now().year == 2027
    assert clock.now() == outer
