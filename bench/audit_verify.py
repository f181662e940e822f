"""How fast `careloop audit verify` walks a large audit log.

Builds a chain of synthetic audit events (computed in Python with the real chain functions and
bulk-inserted) in a throwaway database, then times audit_verify over all of it. SQLite by
default, in a temporary folder; with --database-url, a PostgreSQL database that this script
creates and drops (its name must start with careloop_bench, so a real one is never touched).

    .venv/bin/python -m bench.audit_verify [--events N] [--database-url URL]
"""

import argparse
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.throwaway import cpu_model

GENERATION_BATCH = 10_000
# PostgreSQL takes at most 65,535 parameters per statement; 14 columns x 4,000 rows fit.
INSERT_BATCH = 4_000
ACTIONS = (
    ("patient.view", 60),
    ("patient.search", 12),
    ("patient.update", 8),
    ("auth.sign_in", 8),
    ("auth.sign_out", 5),
    ("audit.view", 1),
    ("care_team.assign", 3),
    ("household.update", 3),
)
ROLES = ("admin", "provider", "coordinator", "front_desk", "billing")


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _maintenance_connection(url: str) -> Any:
    import psycopg

    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(maintenance, autocommit=True)


def _create_postgres_database(url: str) -> None:
    name = _database_name(url)
    if not name.startswith("careloop_bench"):
        raise SystemExit(
            f"--database-url must name a database starting with careloop_bench (got {name!r}): "
            "this benchmark drops it when done"
        )
    with _maintenance_connection(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def _drop_postgres_database(url: str) -> None:
    with _maintenance_connection(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{_database_name(url)}" WITH (FORCE)')


def _configure(data_dir: Path, database_url: str | None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "careloop.settings"
    os.environ["CARELOOP_ENV"] = "development"
    os.environ["DEBUG"] = "false"
    os.environ["CARELOOP_DATA_DIR"] = str(data_dir)
    os.environ["CARELOOP_LOG_LEVEL"] = "WARNING"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()


def _generate(count: int, *, progress: bool) -> float:
    """Append `count` events the way audit_record chains them, in bulk; returns seconds taken."""
    from django.db import transaction

    from careloop.audit.chain import GENESIS_HASH, EntryHasher, canonical_fields
    from careloop.audit.models import AuditEvent, AuditHead

    started = time.perf_counter()
    chooser = random.Random(20_260_101)
    actions = [name for name, _ in ACTIONS]
    weights = [weight for _, weight in ACTIONS]
    hasher = EntryHasher()
    previous = GENESIS_HASH
    occurred_at = datetime(2025, 1, 1, 14, 0, tzinfo=UTC)
    sequence = 0
    while sequence < count:
        batch: list[AuditEvent] = []
        for _ in range(min(GENERATION_BATCH, count - sequence)):
            sequence += 1
            occurred_at += timedelta(microseconds=chooser.randrange(1, 20_000_000))
            action = chooser.choices(actions, weights)[0]
            actor_number = chooser.randrange(1, 41)
            patient_id = chooser.randrange(1, 50_001) if action.startswith("patient") else None
            fields: dict[str, Any] = {
                "sequence": sequence,
                "occurred_at": occurred_at,
                "actor_id": actor_number,
                "actor_username": f"staff{actor_number:02d}",
                "actor_role": ROLES[actor_number % len(ROLES)],
                "action": action,
                "outcome": "denied" if chooser.random() < 0.02 else "success",
                "patient_id": patient_id,
                "object_type": "patient" if patient_id is not None else "",
                "object_id": str(patient_id) if patient_id is not None else "",
                "ip_address": f"10.0.{actor_number}.{chooser.randrange(1, 255)}",
                "detail": {"fields": ["email", "mobile_phone"]}
                if action == "patient.update"
                else {},
            }
            digest = hasher(previous, canonical_fields(**fields))
            batch.append(AuditEvent(**fields, previous_hash=previous, entry_hash=digest))
            previous = digest
        with transaction.atomic():
            AuditEvent.objects.bulk_create(batch, batch_size=INSERT_BATCH)
        if progress and sequence % 100_000 == 0:
            print(f"  generated {sequence:,} events", file=sys.stderr, flush=True)
    AuditHead.objects.update_or_create(
        id=1, defaults={"last_sequence": sequence, "last_hash": previous}
    )
    return time.perf_counter() - started


def _database_description() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            row = cursor.fetchone()
        return f"PostgreSQL {row[0] if row else '?'}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version} (file, WAL)"


def run(*, events: int, database_url: str | None, progress: bool) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="careloop-bench-audit-"))
    if database_url:
        _create_postgres_database(database_url)
    try:
        _configure(data_dir, database_url)
        from django.core.management import call_command
        from django.db import connection

        from careloop.audit.verify import audit_verify

        call_command("migrate", verbosity=0)
        generation_seconds = _generate(events, progress=progress)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE audit_auditevent")

        started = time.perf_counter()
        report = audit_verify()
        seconds = time.perf_counter() - started
        if not report.intact or report.events_checked != events:
            raise SystemExit(f"the generated chain did not verify: {report.problems[:3]}")

        peak_megabytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"Audit verify: {events:,} events")
        print(f"  machine:   {cpu_model()}, {os.cpu_count()} cores")
        print(f"  python:    {platform.python_implementation()} {platform.python_version()}")
        print(f"  database:  {_database_description()}")
        print(f"  generate:  {generation_seconds:.1f} s")
        print(f"  verify:    {seconds:.1f} s, {events / seconds:,.0f} events/s")
        print(f"  peak RSS:  {peak_megabytes:,.0f} MB (whole process, generation included)")
        connection.close()
    finally:
        if database_url:
            _drop_postgres_database(database_url)
        shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000_000, help="default 1,000,000")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL URL whose database name starts with careloop_bench; "
        "created and dropped by this script (default: SQLite in a temporary folder)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    arguments = parser.parse_args(argv)
    if arguments.events < 1:
        parser.error("--events must be 1 or more")
    run(events=arguments.events, database_url=arguments.database_url, progress=not arguments.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
