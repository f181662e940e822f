"""Enrolling memberships one by one through membership_enroll, in a throwaway database.

Bulk-inserts synthetic patients, seeds the demo catalog (three tiers and a program, through the
catalog services), then enrolls each patient in a tier through
careloop.memberships.services.enrollment.membership_enroll, one service call (one transaction)
each, as the front desk would: the tier and billing interval cycle, a payment method is on
file, and the first period's allowances are granted. SQLite by default, in a temporary folder;
with --database-url, a PostgreSQL database that this script creates and drops (its name must
start with careloop_bench, so a real one is never touched).

    .venv/bin/python -m bench.enroll_memberships [--memberships N] [--database-url URL]
"""

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.audit_verify import (
    _configure,
    _create_postgres_database,
    _database_description,
    _drop_postgres_database,
)
from bench.patient_search import insert_patients, percentile, synthetic_people
from bench.throwaway import cpu_model

TIERS = ("essentials", "active-care", "concierge")
INTERVALS = ("monthly", "monthly", "monthly", "quarterly", "annual")


def _enroll_all(count: int, *, progress: bool) -> list[float]:
    """Enroll every patient in turn; returns each enrollment's seconds."""
    from careloop.accounts.models import User
    from careloop.accounts.roles import Role
    from careloop.core import clock
    from careloop.demo.catalog import demo_catalog_seed
    from careloop.memberships.models import MemberRole
    from careloop.memberships.services.enrollment import MemberSpec, membership_enroll
    from careloop.patients.models import Patient

    admin = User.objects.create_user(username="bench.admin", role=Role.ADMIN)
    front_desk = User.objects.create_user(username="bench.front_desk", role=Role.FRONT_DESK)
    plans = demo_catalog_seed(admin=admin).plans
    today = clock.today()
    patients = list(Patient.objects.order_by("id"))
    seconds: list[float] = []
    for number, patient in enumerate(patients, start=1):
        plan = plans[TIERS[number % len(TIERS)]]
        started = time.perf_counter()
        membership_enroll(
            actor=front_desk,
            plan=plan,
            interval=INTERVALS[number % len(INTERVALS)],
            payer_patient=patient,
            members=[MemberSpec(patient=patient, role=MemberRole.PRIMARY)],
            start_date=today,
            payment_method_on_file=True,
        )
        seconds.append(time.perf_counter() - started)
        if progress and number % 1000 == 0:
            print(f"  enrolled {number:,} of {count:,}", file=sys.stderr, flush=True)
    return seconds


def run(*, memberships: int, database_url: str | None, progress: bool) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="careloop-bench-enroll-"))
    if database_url:
        _create_postgres_database(database_url)
    try:
        _configure(data_dir, database_url)
        from django.core.management import call_command
        from django.db import connection

        from careloop.memberships.models import EntitlementEntry, Membership

        call_command("migrate", verbosity=0)
        insert_patients(synthetic_people(memberships, random.Random(20_261_128)))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

        started = time.perf_counter()
        seconds = _enroll_all(memberships, progress=progress)
        total = time.perf_counter() - started
        if Membership.objects.filter(status="active").count() != memberships:
            raise SystemExit("not every enrollment produced an active membership")
        grants = EntitlementEntry.objects.filter(kind="grant").count()

        milliseconds = [value * 1000 for value in seconds]
        print(f"Enrolling {memberships:,} memberships through membership_enroll")
        print(f"  machine:   {cpu_model()}, {os.cpu_count()} cores")
        print(f"  python:    {platform.python_implementation()} {platform.python_version()}")
        print(f"  database:  {_database_description()}")
        print(f"  total:     {total:.1f} s, {memberships / total:,.0f} memberships/s")
        print(
            f"  each (ms): mean {statistics.mean(milliseconds):.1f}, "
            f"p50 {percentile(milliseconds, 0.50):.1f}, p95 {percentile(milliseconds, 0.95):.1f}, "
            f"p99 {percentile(milliseconds, 0.99):.1f}"
        )
        print(f"  ledger:    {grants:,} grants written with the first periods")
        connection.close()
    finally:
        if database_url:
            _drop_postgres_database(database_url)
        shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--memberships", type=int, default=10_000, help="default 10,000")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL URL whose database name starts with careloop_bench; "
        "created and dropped by this script (default: SQLite in a temporary folder)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    arguments = parser.parse_args(argv)
    if arguments.memberships < 1:
        parser.error("--memberships must be 1 or more")
    run(
        memberships=arguments.memberships,
        database_url=arguments.database_url,
        progress=not arguments.quiet,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
