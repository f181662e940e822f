"""What the benchmarks share: a throwaway database to run in, and a description of the machine."""

import os
import platform
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def server_urls(server_url: str, database: str) -> tuple[dict[str, Any], str]:
    """Connection settings for the server's own database, and the URL of `database` on it."""
    parts = urlsplit(server_url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit("--database-url must be a postgres:// URL")
    maintenance = parts.path.lstrip("/") or "postgres"
    if maintenance == database:
        maintenance = "postgres"
    connect = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "password": parts.password,
        "dbname": maintenance,
        "autocommit": True,
    }
    return connect, urlunsplit(parts._replace(path=f"/{database}"))


def run_in_throwaway_database(
    *, server: str | None, database: str, run: Callable[[], None], keep: bool = False
) -> None:
    """Run `run` against a fresh database: SQLite in a temporary folder when `server` is None,
    otherwise `database` created on that PostgreSQL server and dropped afterwards.

    With `keep` (PostgreSQL only) the database is neither dropped before nor after, so a
    benchmark can seed once, under any load, and be timed again later on a quiet machine."""
    with tempfile.TemporaryDirectory(prefix="careloop-bench-") as folder:
        os.environ["DJANGO_SETTINGS_MODULE"] = "careloop.settings"
        os.environ["CARELOOP_ENV"] = "development"
        os.environ["CARELOOP_DATA_DIR"] = folder
        # DEBUG keeps every query in memory and would slow the loop down
        os.environ["DEBUG"] = "false"
        os.environ.pop("DATABASE_URL", None)
        if server is None:
            run()
            return

        import psycopg

        connect, bench_url = server_urls(server, database)
        with psycopg.connect(**connect) as admin:
            exists = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [database]
            ).fetchone()
            if not keep:
                admin.execute(f"DROP DATABASE IF EXISTS {database}")
            if not (keep and exists):
                admin.execute(f"CREATE DATABASE {database}")
        os.environ["DATABASE_URL"] = bench_url
        try:
            run()
        finally:
            from django.db import connections

            connections.close_all()
            if not keep:
                with psycopg.connect(**connect) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {database}")
