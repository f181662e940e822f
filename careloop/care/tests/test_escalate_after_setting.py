"""CARELOOP_CARE_ESCALATE_AFTER_DAYS: from 1 to 90 days; anything else stops start-up."""

import subprocess
import sys

import pytest


def _settings_with(value: str, tmp_path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import careloop.settings as s; print(s.CARE_ESCALATE_AFTER_DAYS)"],
        env={
            "CARELOOP_ENV": "development",
            "CARELOOP_DATA_DIR": str(tmp_path),
            "CARELOOP_CARE_ESCALATE_AFTER_DAYS": value,
        },
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("value", ["1", "90"])
def test_an_escalation_delay_from_1_to_90_days_is_read(value, tmp_path):
    result = _settings_with(value, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == value


@pytest.mark.parametrize("value", ["0", "91", "-1"])
def test_an_escalation_delay_outside_1_to_90_stops_start_up_naming_the_variable(value, tmp_path):
    result = _settings_with(value, tmp_path)
    assert result.returncode != 0
    assert "CARELOOP_CARE_ESCALATE_AFTER_DAYS must be from 1 to 90" in result.stderr
