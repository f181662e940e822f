"""CARELOOP_CLOCK_AT stops the clock of a whole process at an instant (tests only).

A test's subprocess cannot share the test's frozen clock, so the test starts it with the
instant its clock should stand at. Production refuses the variable at start-up, and the clock
ignores the setting there too.
"""

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from careloop.core import clock
from careloop.env import ConfigurationError, env_instant
from careloop.testing.processes import careloop_environment

INSTANT = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)


def test_the_clock_stands_at_the_configured_instant(settings):
    settings.CLOCK_AT = INSTANT
    assert clock.now() == INSTANT
    assert clock.now() == INSTANT


def test_an_instant_with_another_offset_is_read_in_utc(settings):
    settings.CLOCK_AT = datetime.fromisoformat("2026-03-01T05:00:00-06:00")
    assert clock.now() == INSTANT
    assert clock.now().utcoffset() == timedelta(0)
    assert clock.now().isoformat() == "2026-03-01T11:00:00+00:00"


def test_freezing_overrides_the_configured_instant_until_unfrozen(settings):
    settings.CLOCK_AT = INSTANT
    clock.freeze(datetime(2027, 1, 1, tzinfo=UTC))
    assert clock.now() == datetime(2027, 1, 1, tzinfo=UTC)
    clock.unfreeze()
    assert clock.now() == INSTANT


def test_advance_starts_from_the_configured_instant(settings):
    settings.CLOCK_AT = INSTANT
    assert clock.advance(timedelta(minutes=10)) == INSTANT + timedelta(minutes=10)


def test_production_ignores_the_configured_instant(settings):
    settings.CLOCK_AT = datetime(2020, 1, 1, tzinfo=UTC)
    settings.PRODUCTION = True
    assert clock.now().year > 2020


@pytest.mark.parametrize("value", ["2026-03-01", "2026-03-01T11:00:00", "tomorrow"])
def test_an_instant_without_its_offset_stops_start_up_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("CARELOOP_CLOCK_AT", value)
    with pytest.raises(ConfigurationError, match="CARELOOP_CLOCK_AT must be an ISO 8601 instant"):
        env_instant("CARELOOP_CLOCK_AT")


def test_an_unset_or_empty_variable_leaves_the_clock_running(monkeypatch):
    monkeypatch.delenv("CARELOOP_CLOCK_AT", raising=False)
    assert env_instant("CARELOOP_CLOCK_AT") is None
    monkeypatch.setenv("CARELOOP_CLOCK_AT", "")
    assert env_instant("CARELOOP_CLOCK_AT") is None


@pytest.mark.django_db
def test_a_subprocess_started_with_the_variable_reads_that_instant_and_day():
    environment = careloop_environment(CARELOOP_CLOCK_AT="2026-03-02T03:30:00+00:00")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from careloop.core import clock; "
            "print(clock.now().isoformat(), clock.today().isoformat())",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # 03:30 UTC on March 2 is still March 1 in the clinic's time zone (America/Chicago).
    assert result.stdout.split() == ["2026-03-02T03:30:00+00:00", date(2026, 3, 1).isoformat()]


def test_production_settings_refuse_the_clock_variable(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import careloop.settings"],
        env={
            "CARELOOP_ENV": "production",
            "SECRET_KEY": "k" * 50,
            "CARELOOP_AUDIT_KEY": "a" * 50,
            "CARELOOP_ENCRYPTION_KEY": "e" * 50,
            "ALLOWED_HOSTS": "clinic.example",
            "DATABASE_URL": "postgres://careloop@127.0.0.1:5432/careloop",
            "CARELOOP_DATA_DIR": str(tmp_path),
            "CARELOOP_CLOCK_AT": "2026-03-01T11:00:00+00:00",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "CARELOOP_CLOCK_AT is for tests and is refused in production" in result.stderr
