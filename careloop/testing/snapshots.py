"""Save the test database once and put it back before each test of a module.

The billing crash tests run `careloop billing` in subprocesses, so their data must be
committed (transactional tests), and each of a dozen cases needs the same seed, which takes
seconds to write through the services. Copying the database is much faster: PostgreSQL
creates a database from a template, SQLite copies its file. Every connection to the database
must be closed while it is copied, so use this only where no other process is running.
"""

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.db import connection, connections


def _maintenance() -> psycopg.Connection[tuple[object, ...]]:
    """A connection to the server's `postgres` database, to copy and drop the test's."""
    database = connection.settings_dict
    return psycopg.connect(
        dbname="postgres",
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or "5432",
        autocommit=True,
    )


def _copy_postgresql(source: str, target: str) -> None:
    connections.close_all()
    with _maintenance() as server:
        server.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def _copy_sqlite(source: Path, target: Path) -> None:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connections.close_all()
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


@contextmanager
def saved_database() -> Iterator[Callable[[], None]]:
    """Save the test database as it is now; yield a function that puts that state back."""
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "postgresql":
        saved = f"{name}_saved"
        _copy_postgresql(name, saved)
        try:
            yield lambda: _copy_postgresql(saved, name)
        finally:
            connections.close_all()
            with _maintenance() as server:
                server.execute(f'DROP DATABASE IF EXISTS "{saved}" WITH (FORCE)')
        return
    if connection.vendor != "sqlite":
        raise RuntimeError(f"no saved databases for {connection.vendor}")
    live, copy = Path(name), Path(f"{name}.saved")
    _copy_sqlite(live, copy)
    try:
        yield lambda: _copy_sqlite(copy, live)
    finally:
        copy.unlink(missing_ok=True)
