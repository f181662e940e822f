"""Coverage check latency for a member with five years of ledger history.

    .venv/bin/python -m bench.coverage_check [--checks 2000] [--others 1000]
        [--postgres | --database-url postgres://postgres@127.0.0.1:5432/postgres] [--explain]

Builds a throwaway database (SQLite in a temporary folder, or careloop_bench_coverage on the
PostgreSQL server, dropped afterwards). The measured member's five years are written through
the ledger services, month by month with the clock moved along: period grants with rollover
and expiry, holds, uses, releases, reversals and overages for four benefits. Other members'
history is bulk-inserted around it so the ledger table is large. Then it times
careloop.memberships.selectors.coverage.coverage_check over the member's services.

When careloop.memberships.services.enrollment.membership_enroll is present, it also times
enrolling 10,000 memberships through it (--enrollments 0 skips that).
"""

import argparse
import importlib
import inspect
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.patient_search import analyze, database_version, percentile
from bench.throwaway import DEFAULT_SERVER, cpu_model, run_in_throwaway_database

BENCH_DATABASE = "careloop_bench_coverage"
FIRST_DAY = date(2021, 1, 1)
MONTHS = 60
WARM_UP_CHECKS = 50


def _catalog() -> tuple[Any, list[Any]]:
    from careloop.core import clock
    from careloop.memberships.models import Benefit, Plan, PlanPrice, PlanStatus, Service

    now = clock.now()
    plan = Plan.objects.create(
        code="active-care",
        name="Active Care",
        status=PlanStatus.ACTIVE,
        created_at=now,
        updated_at=now,
    )
    PlanPrice.objects.create(plan=plan, interval="monthly", version=1, amount=9900, created_at=now)
    rows: list[tuple[str, str, str, int, dict[str, Any]]] = [
        (
            "provider-visit",
            "Provider visit",
            "provider_visit",
            15000,
            {"allowance": 2, "rollover": "up_to", "rollover_cap": 2, "member_price": 9500},
        ),
        ("coaching", "Coaching session", "coaching_session", 8000, {"allowance": 1}),
        (
            "lab-panel",
            "Lab panel",
            "lab_panel",
            20000,
            {
                "allowance": 1,
                "allowance_period": "quarter",
                "rollover": "expiring",
                "rollover_expires_after_periods": 1,
            },
        ),
        ("telehealth", "Telehealth visit", "telehealth_visit", 9000, {"allowance": None}),
    ]
    services = []
    for code, name, kind, price, fields in rows:
        service = Service.objects.create(code=code, name=name, kind=kind, a_la_carte_price=price)
        Benefit.objects.create(plan=plan, service=service, **fields)
        services.append(service)
    services.append(
        Service.objects.create(
            code="iv-therapy", name="IV therapy", kind="iv_therapy", a_la_carte_price=22500
        )
    )
    return plan, services


def _patient(number: int) -> Any:
    from careloop.patients.models import Patient
    from careloop.patients.search import fold_search_columns

    created = datetime(2020, 12, 1, tzinfo=UTC)
    patient = Patient(
        legal_given_name="Member",
        legal_family_name=f"Bench{number}",
        date_of_birth=date(1980, 1, 1) + timedelta(days=number % 9000),
        sex_at_birth="unknown",
        email=f"member{number}@example.invalid",
        mobile_phone=f"+1512555{number % 10000:04d}",
        created_at=created,
        updated_at=created,
    )
    fold_search_columns(patient)
    return patient


def _membership(plan: Any, patient: Any) -> Any:
    from careloop.memberships.models import Membership, MembershipMember

    created = datetime(2020, 12, 1, tzinfo=UTC)
    membership = Membership.objects.create(
        plan=plan,
        price=plan.prices.get(),
        interval="monthly",
        payer_patient=patient,
        status="active",
        start_date=FIRST_DAY,
        anchor_date=FIRST_DAY,
        anchor_day=1,
        created_at=created,
        updated_at=created,
    )
    MembershipMember.objects.create(
        membership=membership,
        patient=patient,
        role="primary",
        plan=plan,
        plan_kind="tier",
        joined_on=FIRST_DAY,
    )
    return membership


def build_member_history(plan: Any, services: list[Any], rng: random.Random) -> Any:
    """Five years of one member's ledger, written through the services month by month."""
    from careloop.core import clock
    from careloop.memberships.errors import AllowanceExhausted
    from careloop.memberships.periods import month_boundary
    from careloop.memberships.services.entitlements import (
        entitlement_consume,
        entitlement_grant_period,
        entitlement_hold,
        entitlement_release,
        entitlement_reverse,
    )
    from careloop.patients.models import Patient

    patient = Patient.objects.create(
        **{
            field.name: getattr(_patient(0), field.name)
            for field in Patient._meta.concrete_fields
            if not field.primary_key
        }
    )
    membership = _membership(plan, patient)
    source = 0
    for month in range(MONTHS):
        first = month_boundary(FIRST_DAY, 1, month)
        clock.freeze(datetime(first.year, first.month, first.day, 15, tzinfo=UTC))
        entitlement_grant_period(membership=membership, on=first)
        for service in services[:4]:
            for _ in range(rng.randint(1, 4)):
                source += 1
                day = first + timedelta(days=rng.randint(0, 27))
                reference = f"bench-{source}"
                held = True
                try:
                    entitlement_hold(
                        actor=None,
                        patient=patient,
                        service=service,
                        on=day,
                        source_type="appointment",
                        source_id=reference,
                    )
                except AllowanceExhausted:
                    held = False
                outcome = rng.random()
                if held and outcome < 0.15:
                    entitlement_release(actor=None, source_type="appointment", source_id=reference)
                    continue
                entitlement_consume(
                    actor=None,
                    patient=patient,
                    service=service,
                    on=day,
                    source_type="appointment",
                    source_id=reference,
                )
                if outcome < 0.25:
                    entitlement_reverse(
                        actor=None,
                        source_type="appointment",
                        source_id=reference,
                        reason="No-show waived",
                    )
    clock.unfreeze()
    return patient


def build_other_members(plan: Any, services: list[Any], count: int, rng: random.Random) -> None:
    """Bulk history for other members: monthly grants and a few uses each, five years."""
    from careloop.memberships.models import EntitlementEntry
    from careloop.memberships.periods import month_boundary
    from careloop.patients.models import Patient

    Patient.objects.bulk_create([_patient(number) for number in range(1, count + 1)])
    recorded = datetime(2021, 1, 1, tzinfo=UTC)
    batch: list[EntitlementEntry] = []
    for patient in Patient.objects.filter(search_given="member").exclude(search_family="bench0"):
        membership = _membership(plan, patient)
        for month in range(MONTHS):
            start = month_boundary(FIRST_DAY, 1, month)
            end = month_boundary(FIRST_DAY, 1, month + 1)
            for service in services[:2]:
                common = {
                    "membership": membership,
                    "patient": patient,
                    "service": service,
                    "quantity": 1,
                    "period_start": start,
                    "period_end": end,
                    "occurred_on": start,
                    "recorded_at": recorded,
                }
                batch.append(EntitlementEntry(kind="grant", **{**common, "quantity": 2}))
                for _ in range(rng.randint(0, 2)):
                    batch.append(
                        EntitlementEntry(
                            kind="consume",
                            source_type="appointment",
                            source_id=f"other-{len(batch)}-{patient.id}",
                            **common,
                        )
                    )
        if len(batch) > 20000:
            EntitlementEntry.objects.bulk_create(batch)
            batch = []
    EntitlementEntry.objects.bulk_create(batch)


def time_coverage_checks(patient: Any, services: list[Any], checks: int) -> list[float]:
    from careloop.core import clock
    from careloop.memberships.selectors.coverage import coverage_check

    today = date(2025, 12, 10)
    clock.freeze(datetime(2025, 12, 10, 15, tzinfo=UTC))
    for index in range(WARM_UP_CHECKS):
        coverage_check(patient=patient, service=services[index % len(services)], on=today)
    timings = []
    for index in range(checks):
        service = services[index % len(services)]
        begun = time.perf_counter()
        coverage_check(patient=patient, service=service, on=today)
        timings.append((time.perf_counter() - begun) * 1000)
    clock.unfreeze()
    return timings


def time_enrollments(count: int) -> str:
    """Enroll `count` memberships through the service layer, if it exists on this branch."""
    try:
        enrollment = importlib.import_module("careloop.memberships.services.enrollment")
    except ImportError:
        return "skipped: careloop.memberships.services.enrollment is not on this branch"
    return _time_enrollments(enrollment, count)


def _time_enrollments(enrollment: Any, count: int) -> str:
    from careloop.accounts.models import User
    from careloop.core import clock
    from careloop.memberships.models import Plan
    from careloop.patients.models import Patient

    actor = User.objects.create_user(
        username="bench_front_desk",
        password="bench bench bench",  # noqa: S106
        role="front_desk",
    )
    plan = Plan.objects.get(code="active-care")
    base = Patient.objects.count() + 1
    Patient.objects.bulk_create([_patient(base + number) for number in range(count)])
    people = list(Patient.objects.filter(id__gte=base).order_by("id")[:count])
    extra: dict[str, Any] = {}
    if "payment_method_on_file" in inspect.signature(enrollment.membership_enroll).parameters:
        extra["payment_method_on_file"] = True  # active, so the first grants are written too
    timings = []
    started = time.perf_counter()
    for patient in people:
        begun = time.perf_counter()
        enrollment.membership_enroll(
            actor=actor,
            plan=plan,
            interval="monthly",
            payer_patient=patient,
            members=[enrollment.MemberSpec(patient=patient, role="primary")],
            start_date=clock.today(),
            anchor="start_day",
            **extra,
        )
        timings.append((time.perf_counter() - begun) * 1000)
    total = time.perf_counter() - started
    return (
        f"{count:,} enrollments in {total:.1f} s ({count / total:,.0f} a second); "
        f"per enrollment p50 {percentile(timings, 0.5):.2f} ms, "
        f"p95 {percentile(timings, 0.95):.2f} ms, p99 {percentile(timings, 0.99):.2f} ms"
    )


def run(arguments: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from careloop.memberships.models import EntitlementEntry

    rng = random.Random(arguments.seed)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    plan, services = _catalog()
    patient = build_member_history(plan, services, rng)
    build_other_members(plan, services, arguments.others, rng)
    analyze()
    own = EntitlementEntry.objects.filter(patient=patient).count()
    print(
        f"Loaded {own:,} ledger entries for the member and "
        f"{EntitlementEntry.objects.count():,} in all in {time.perf_counter() - started:.1f} s"
    )
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"Database: {database_version()}")

    timings = time_coverage_checks(patient, services, arguments.checks)
    print(
        f"\n{arguments.checks} coverage checks over {len(services)} services (ms): "
        f"p50 {percentile(timings, 0.5):.2f}  p95 {percentile(timings, 0.95):.2f}  "
        f"p99 {percentile(timings, 0.99):.2f}"
    )
    if arguments.explain:
        _explain(patient, services[0])
    if arguments.enrollments:
        print("\n" + time_enrollments(arguments.enrollments))


def _explain(patient: Any, service: Any) -> None:
    from django.db import connection

    from careloop.memberships.models import Membership
    from careloop.memberships.selectors.balances import TOTALS, allowance_period, period_entries

    membership = Membership.objects.get(payer_patient=patient)
    benefit = membership.plan.benefits.get(service=service)
    period = allowance_period(membership=membership, benefit=benefit, day=date(2025, 12, 10))
    queryset = period_entries(
        membership=membership, patient_id=patient.id, service_id=service.id, period=period
    )
    if connection.vendor == "postgresql":
        print(queryset.values("patient_id").annotate(**TOTALS).explain(analyze=True))
    else:
        print(queryset.values("patient_id").annotate(**TOTALS).explain())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--others", type=int, default=1000, help="other members' histories")
    parser.add_argument("--enrollments", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--postgres", action="store_true", help=f"use {DEFAULT_SERVER}")
    parser.add_argument("--database-url", help="a PostgreSQL server to create the database on")
    parser.add_argument("--explain", action="store_true", help="print the balance query plan")
    arguments = parser.parse_args(argv)
    server = arguments.database_url or (DEFAULT_SERVER if arguments.postgres else None)

    run_in_throwaway_database(server=server, database=BENCH_DATABASE, run=lambda: run(arguments))
    return 0


if __name__ == "__main__":
    sys.exit(main())
