"""Generating 14 days of care work for 50,000 members, and opening the care-gaps queue.

    .venv/bin/python -m bench.care [--members 50000] [--gaps 10000] [--opens 100] [--profile]
        [--explain] [--postgres | --database-url postgres://postgres@127.0.0.1:5432/postgres]
        [--database-name careloop_bench_care]

A throwaway database (SQLite in a temporary folder, or careloop_bench_care on the PostgreSQL
server, dropped afterwards) gets the demo catalog, the demo's Metabolic health protocol on
Active Care (a monthly check-in visit, a quarterly lab order, coaching every two weeks and a
monthly progress note), a few staff, and per member a synthetic patient, a single Active Care
membership (its member row and enrollment history) and the care plan the enrollment cascade
would apply that day: the plan, its own copies of the protocol's four activities, its "apply"
history row and its audit event (bulk inserts, not timed). Nothing is generated yet.

Then it times `care_work_generate(as_of=today)`, the daily job, which creates every
occurrence due from today to today + CARELOOP_CARE_HORIZON_DAYS (14), 500 care plans a
transaction, and runs it a second time, which must create nothing. Then, three weeks later
by the clock, every task due on the first day is closed except `--gaps` of them, left open
past their window; the real escalation job flags those (not timed), and the benchmark times
opening the care-gaps queue the way staff do: GET /api/v1/care/gaps (the first page of 25,
serialised, with its audit row) through Django's test client, signed in as a care
coordinator.
Targets (issue 5): generation under 60 s on PostgreSQL; the gaps queue under 200 ms.
"""

import argparse
import gc
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from bench.patient_search import database_version, percentile, synthetic_people
from bench.throwaway import DEFAULT_SERVER, cpu_model, run_in_throwaway_database

BENCH_DATABASE = "careloop_bench_care"
NOW = datetime(2026, 6, 1, 13, 0, tzinfo=UTC)  # Monday June 1 2026, 9:00 in New York
GAPS_AFTER_DAYS = 21  # the first day's tasks (window to +14) are gaps; +14's are not yet
BATCH = 2_000
WARM_UP = 5
Result = TypeVar("Result")


def seed_staff() -> None:
    from careloop.accounts.roles import Role
    from careloop.testing.factories import make_user

    make_user(role=Role.ADMIN, username="bench.admin")
    for number in range(3):
        make_user(role=Role.PROVIDER, username=f"provider{number}")
        make_user(role=Role.COORDINATOR, username=f"coordinator{number}")


def seed_protocol() -> None:
    """The demo's Metabolic health protocol, carried by Active Care, through the service."""
    from careloop.accounts.models import User
    from careloop.care.services.protocols import protocol_create
    from careloop.demo.care import METABOLIC_HEALTH, PROTOCOLS
    from careloop.demo.catalog import demo_catalog_seed
    from careloop.memberships.models import Plan

    admin = User.objects.get(username="bench.admin")
    demo_catalog_seed(admin=admin)
    code, description, activities = PROTOCOLS[METABOLIC_HEALTH]
    protocol_create(
        actor=admin,
        name=METABOLIC_HEALTH,
        description=description,
        plans=[Plan.objects.get(code=code)],
        activities=activities,
    )


def seed_members(count: int, rng: random.Random) -> None:
    """Per member: a patient, a single Active Care membership and the care plan its enrollment
    applies today, with the rows care_plan_create writes (see the module docstring)."""
    from django.db import transaction

    from careloop.accounts.models import User
    from careloop.audit.services import AuditEntry, audit_record_many
    from careloop.care.models import (
        ACTIVITY_FIELDS,
        CareActivity,
        CarePlan,
        CarePlanChange,
        CarePlanStatus,
        Protocol,
    )
    from careloop.memberships.models import (
        MemberRole,
        Membership,
        MembershipMember,
        MembershipStatus,
        PlanPrice,
        StatusChange,
    )
    from careloop.memberships.periods import Interval
    from careloop.patients.models import Patient
    from careloop.patients.search import fold_search_columns

    admin = User.objects.get(username="bench.admin")
    protocol = Protocol.objects.get()
    plan = protocol.plans.get()
    price = PlanPrice.objects.get(plan=plan, interval=Interval.MONTHLY, current=True)
    activities = list(protocol.activities.order_by("order", "id"))
    today = NOW.date()
    people = synthetic_people(count, rng)
    reason = f"Membership enroll: {plan.name}."
    for first in range(0, count, BATCH):
        with transaction.atomic():
            patients = []
            for person in people[first : first + BATCH]:
                patient = Patient(
                    legal_given_name=person.given,
                    legal_family_name=person.family,
                    date_of_birth=person.date_of_birth,
                    sex_at_birth="unknown",
                    email=person.email,
                    mobile_phone=person.phone,
                    created_at=NOW,
                    updated_at=NOW,
                )
                fold_search_columns(patient)
                patients.append(patient)
            Patient.objects.bulk_create(patients)
            memberships = Membership.objects.bulk_create(
                Membership(
                    plan=plan,
                    price=price,
                    interval=Interval.MONTHLY,
                    payer_patient=patient,
                    status=MembershipStatus.ACTIVE,
                    start_date=today,
                    anchor_date=today,
                    anchor_day=today.day,
                    created_at=NOW,
                    updated_at=NOW,
                )
                for patient in patients
            )
            MembershipMember.objects.bulk_create(
                MembershipMember(
                    membership=membership,
                    patient=patient,
                    role=MemberRole.PRIMARY,
                    plan=plan,
                    plan_kind=plan.kind,
                    joined_on=today,
                )
                for membership, patient in zip(memberships, patients, strict=True)
            )
            StatusChange.objects.bulk_create(
                StatusChange(
                    membership=membership,
                    action="enroll",
                    from_status="",
                    to_status=MembershipStatus.ACTIVE,
                    effective_on=today,
                    recorded_at=NOW,
                    actor=admin,
                )
                for membership in memberships
            )
            care_plans = CarePlan.objects.bulk_create(
                CarePlan(
                    patient=patient,
                    protocol=protocol,
                    membership=membership,
                    status=CarePlanStatus.ACTIVE,
                    started_on=today,
                    active_since=today,
                    created_at=NOW,
                    updated_at=NOW,
                )
                for membership, patient in zip(memberships, patients, strict=True)
            )
            CareActivity.objects.bulk_create(
                CareActivity(
                    care_plan=care_plan,
                    activity=activity,
                    starts_on=today,
                    created_at=NOW,
                    **{name: getattr(activity, name) for name in ACTIVITY_FIELDS},
                )
                for care_plan in care_plans
                for activity in activities
            )
            CarePlanChange.objects.bulk_create(
                CarePlanChange(
                    care_plan=care_plan,
                    action="apply",
                    to_status=CarePlanStatus.ACTIVE,
                    effective_on=today,
                    recorded_at=NOW,
                    actor=admin,
                    reason=reason,
                )
                for care_plan in care_plans
            )
            audit_record_many(
                [
                    AuditEntry(
                        "care.plan_apply",
                        admin,
                        patient_id=care_plan.patient_id,
                        object_type="care_plan",
                        object_id=care_plan.pk,
                        detail={
                            "protocol": protocol.pk,
                            "membership": care_plan.membership_id,
                            "started_on": today.isoformat(),
                        },
                    )
                    for care_plan in care_plans
                ]
            )


def make_gaps(gaps: int, rng: random.Random, gap_day: date) -> int:
    """Close every task due on the first day except `gaps` of them (what care_task_complete
    writes on the task: status, its day and time; not the history rows, which the queue does
    not read), then run the escalation job as of `gap_day`; the steps it took."""
    from careloop.care.models import CareTask, TaskStatus
    from careloop.care.services.gaps import care_gaps_escalate

    first_day = list(CareTask.objects.filter(due_on=NOW.date()).values_list("id", flat=True))
    left_open = set(rng.sample(first_day, min(gaps, len(first_day))))
    closed = sorted(set(first_day) - left_open)
    done_on = NOW.date() + timedelta(days=2)
    done_at = NOW + timedelta(days=2)
    for start in range(0, len(closed), 10_000):
        CareTask.objects.filter(id__in=closed[start : start + 10_000]).update(
            status=TaskStatus.DONE, completed_on=done_on, completed_at=done_at, updated_at=done_at
        )
    return care_gaps_escalate(as_of=gap_day)


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def profiled(call: Callable[[], Result]) -> Result:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    result = call()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)
    return result


def explain_gaps() -> None:
    """The gaps queue's paging and count queries: the first page of ids' plan and time, and the
    count's time with the plan of its filter."""
    from careloop.care.selectors.queues import gap_tasks

    # The page is read as its ids first (queues.page), then those rows with their joins.
    for name, query in (("page", gap_tasks().values_list("id")[:25]), ("count", gap_tasks())):
        sql = query.explain() if name == "page" else query.values("id").explain()
        timings = []
        for _ in range(10):
            begun = time.perf_counter()
            list(query.all()) if name == "page" else query.count()
            timings.append((time.perf_counter() - begun) * 1000)
        print(f"\nGaps queue {name} query, 10 runs (ms): p50 {percentile(timings, 0.5):.1f}")
        print(sql)


def run(arguments: argparse.Namespace) -> None:
    import django

    django.setup()
    # As careloop/wsgi.py does in the server: what is loaded at start-up stays out of the
    # collector's full passes.
    gc.freeze()
    from django.core.management import call_command

    from careloop.accounts.models import User
    from careloop.care.models import CareActivity, CarePlan, CareTask
    from careloop.care.selectors.queues import gap_tasks
    from careloop.care.services.generation import care_work_generate
    from careloop.core import clock
    from careloop.testing.clients import signed_in_client

    rng = random.Random(arguments.seed)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    clock.freeze(NOW)
    seed_staff()
    seed_protocol()
    seed_members(arguments.members, rng)
    analyze()
    print(
        f"Seeded {CarePlan.objects.count():,} care plans with {CareActivity.objects.count():,} "
        f"activities in {time.perf_counter() - started:.1f} s"
    )
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"Database: {database_version()}")
    print(f"Load average at start: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")

    today = NOW.date()

    def generate() -> int:
        return care_work_generate(as_of=today)

    begun = time.perf_counter()
    created = profiled(generate) if arguments.profile else generate()
    first_run = time.perf_counter() - begun
    print(
        f"\nGeneration as of {today}, {arguments.members:,} care plans: {created:,} tasks "
        f"created in {first_run:.1f} s ({first_run / arguments.members * 1000:.2f} ms a plan; "
        f"target under 60 s on PostgreSQL)"
    )
    begun = time.perf_counter()
    again = generate()
    second_run = time.perf_counter() - begun
    print(f"Second run, same day: {again:,} tasks created in {second_run:.1f} s")
    if again:
        raise SystemExit("generation is not idempotent: the second run created tasks")
    print(f"Load average after generation: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")

    gap_day = today + timedelta(days=GAPS_AFTER_DAYS)
    clock.freeze(NOW + timedelta(days=GAPS_AFTER_DAYS))
    begun = time.perf_counter()
    steps = make_gaps(arguments.gaps, rng, gap_day)
    analyze()
    print(
        f"\nGaps: {steps:,} escalation steps taken as of {gap_day} in "
        f"{time.perf_counter() - begun:.1f} s (not timed); {gap_tasks().count():,} open gaps "
        f"among {CareTask.objects.filter(status='open').count():,} open tasks"
    )

    # Signed in past the second factor; the frozen clock keeps the session from idling out.
    client = signed_in_client(User.objects.get(username="coordinator0"))

    def open_queue() -> int:
        response = client.get("/api/v1/care/gaps")
        if response.status_code != 200:
            raise SystemExit(f"GET /api/v1/care/gaps answered {response.status_code}")
        return len(response.json()["items"])

    for _ in range(WARM_UP):
        open_queue()
    if arguments.explain:
        explain_gaps()
    if arguments.profile:
        profiled(lambda: [open_queue() for _ in range(20)])
    timings, shown = [], 0
    for _ in range(arguments.opens):
        begun = time.perf_counter()
        shown = open_queue()
        timings.append((time.perf_counter() - begun) * 1000)
    print(
        f"Gaps queue, GET /api/v1/care/gaps ({shown} of {gap_tasks().count():,} gaps a page), "
        f"{len(timings)} opens (ms): p50 {percentile(timings, 0.5):.1f}  "
        f"p95 {percentile(timings, 0.95):.1f}  p99 {percentile(timings, 0.99):.1f}  "
        f"(target under 200)"
    )
    print(f"Load average at the end: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--gaps", type=int, default=10_000)
    parser.add_argument("--opens", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20260601)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the first generation and 20 opens"
    )
    parser.add_argument(
        "--explain", action="store_true", help="plan and time the gaps queue's two queries"
    )
    parser.add_argument("--postgres", action="store_true", help=f"use {DEFAULT_SERVER}")
    parser.add_argument("--database-url", help="a PostgreSQL server to create the database on")
    parser.add_argument(
        "--database-name", default=BENCH_DATABASE, help="the throwaway PostgreSQL database"
    )
    arguments = parser.parse_args(argv)
    server = arguments.database_url or (DEFAULT_SERVER if arguments.postgres else None)
    run_in_throwaway_database(
        server=server, database=arguments.database_name, run=lambda: run(arguments)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
