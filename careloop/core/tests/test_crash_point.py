import subprocess
import sys

import pytest

from careloop.core import faults


class Exited(Exception):
    pass


@pytest.fixture
def exits(monkeypatch):
    def fake_exit(status):
        raise Exited(status)

    monkeypatch.setattr("careloop.core.faults.os._exit", fake_exit)


def test_a_crash_point_does_nothing_unless_named(settings, exits):
    settings.CRASH_AT = ""
    faults.crash_point("outbox.sent")
    settings.CRASH_AT = "outbox.claimed"
    faults.crash_point("outbox.sent")


def test_the_named_crash_point_exits_like_a_killed_process(settings, exits):
    settings.CRASH_AT = "outbox.sent"
    with pytest.raises(Exited) as exited:
        faults.crash_point("outbox.sent")
    assert exited.value.args == (137,)


def test_production_ignores_a_crash_point(settings, exits, caplog):
    settings.CRASH_AT = "outbox.sent"
    settings.PRODUCTION = True
    faults.crash_point("outbox.sent")
    assert "refused in production" in caplog.text


def test_production_settings_refuse_the_crash_variable(tmp_path):
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
            "CARELOOP_CRASH_AT": "outbox.sent",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "CARELOOP_CRASH_AT is for tests and is refused in production" in result.stderr
