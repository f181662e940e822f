"""Run `careloop` commands in subprocesses against the test database.

Worker, crash and serve tests need a second process that shares the test's database, so they
use `transactional_db` (data committed, visible to the subprocess). On SQLite the test
database is a file (careloop/settings_test.py); on PostgreSQL it is test_<name>[_gwN].
"""

import os
import subprocess
import sys
from urllib.parse import quote

from django.db import connection


def database_url_for_subprocess() -> str:
    """A DATABASE_URL for the database this test is using."""
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    if connection.vendor != "postgresql":
        raise RuntimeError(f"no subprocess support for {connection.vendor}")
    user = quote(database["USER"] or "", safe="")
    password = quote(database["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(database['NAME'], safe='')}"


def careloop_environment(**variables: str) -> dict[str, str]:
    """The environment for a careloop subprocess: real settings, the test database."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("CARELOOP_CRASH")
    }
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "careloop.settings",
            "CARELOOP_ENV": "test",
            "DATABASE_URL": database_url_for_subprocess(),
            "PYTHONUNBUFFERED": "1",
        }
    )
    environment.update(variables)
    return environment


def careloop_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "django", *arguments]


def run_careloop(
    *arguments: str, environment: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (our own interpreter and command)
        careloop_command(*arguments),
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
