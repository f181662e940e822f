import pytest

from careloop.core.models import ClinicSettings
from careloop.core.selectors import clinic_settings

pytestmark = pytest.mark.django_db


def test_reading_settings_before_any_were_saved_writes_nothing():
    settings_row = clinic_settings()
    assert settings_row.time_zone == "America/Chicago"
    assert not ClinicSettings.objects.exists()


def test_it_reads_the_saved_settings():
    ClinicSettings.objects.create(name="Riverside Direct Care", time_zone="America/Denver")
    assert (clinic_settings().name, clinic_settings().time_zone) == (
        "Riverside Direct Care",
        "America/Denver",
    )
