"""A billing run over 100,000 due memberships, with 1 and 2 worker processes, timed.

    .venv/bin/python -m bench.billing_run [--memberships 100000] [--workers 1,2] [--seed N]
        [--postgres | --database-url postgres://postgres@127.0.0.1:5432/postgres]
        [--latency-memberships 2000] [--latency-concurrency 8,16]
        [--no-baseline] [--profile FOLDER]

With --postgres or --database-url the benchmark creates the database careloop_bench_billing on
that server (the URL's own database is only used to connect), keeps copies of it as
careloop_bench_billing_<step> to start each run from the same rows, and drops them all at the
end; without, it uses SQLite files in a temporary folder with Careloop's default settings.

It migrates, seeds the memberships (bench/billing_seed.py: bulk inserts, not timed), then
for each worker count times one run as of --as-of, the steps of `billing_run`: in this
process `billing_run_prepare` (the run, sponsors' invoices; the scheduled changes due that
day are the workers'); in N worker processes `billing_run_work(run=...)`, each started and
connected before the clock starts; back here `billing_run_close` (settling, retries,
notices, overage, finishing). The clock of every process is frozen at 06:00 on the run's day
in the clinic's time zone. Then a plain-SQL baseline writes the rows the run wrote
(invoices, invoice lines, journal entries and lines, payment attempts, the billing rows'
updates) into a fresh copy with COPY (PostgreSQL) or executemany (SQLite) in one
transaction. Last, a run over a smaller set with 200 ms of sandbox gateway latency per
charge, once per charge concurrency, shows charges run concurrently: charges per second
against concurrency / 0.2 s.
"""

import argparse
import cProfile
import json
import os
import platform
import pstats
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from bench.billing_seed import Seeded, seed_due_memberships
from bench.patient_search import database_version
from bench.throwaway import DEFAULT_SERVER, cpu_model, run_in_throwaway_database, server_urls

BENCH_DATABASE = "careloop_bench_billing"
DEFAULT_AS_OF = date(2026, 12, 1)
GATEWAY_LATENCY_MS = 200
ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = "billing-bench:"


# The worker process: connect, wait for the run, bill, report.


class StatementCounter:
    """Counts the statements every connection of this process sends, and the connections it
    opens (charges run in threads, each with its own connection)."""

    def __init__(self) -> None:
        self.count = 0
        self.connections = 0
        self._lock = threading.Lock()

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        with self._lock:
            self.count += 1
        return execute(sql, params, many, context)

    def install(self) -> None:
        from django.db.backends.signals import connection_created

        def watch(sender: Any, connection: Any, **kwargs: Any) -> None:
            with self._lock:
                self.connections += 1
            if self not in connection.execute_wrappers:
                connection.execute_wrappers.append(self)

        connection_created.connect(watch, weak=False)


class GatewayWatch:
    """Times every sandbox charge this process makes: how many were in flight at once, and
    how long at least one was (the time the run spent waiting on the gateway)."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, float]] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()

    def install(self) -> None:
        from careloop.billing.gateways.sandbox import SandboxGateway

        charge = SandboxGateway.charge
        watch = self

        def timed_charge(gateway: SandboxGateway, **arguments: Any) -> Any:
            with watch._lock:
                watch.in_flight += 1
                watch.peak_in_flight = max(watch.peak_in_flight, watch.in_flight)
            started = time.perf_counter()
            try:
                return charge(gateway, **arguments)
            finally:
                ended = time.perf_counter()
                with watch._lock:
                    watch.in_flight -= 1
                    watch.calls.append((started, ended))

        SandboxGateway.charge = timed_charge  # type: ignore[method-assign,assignment]

    def busy_seconds(self) -> float:
        busy = 0.0
        reach = float("-inf")
        for started, ended in sorted(self.calls):
            if ended > reach:
                busy += ended - max(started, reach)
                reach = ended
        return busy


def peak_memory_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def freeze_clock(as_of: date) -> None:
    from careloop.core import clock

    clock.freeze(datetime.combine(as_of, clock_time(6), tzinfo=clock.clinic_zone()))


def worker_main(as_of: date, profile: str | None) -> int:
    import django

    django.setup()
    from django.db import connection

    from careloop.billing.models import BillingRun
    from careloop.billing.services.runs import billing_run_work

    counter = StatementCounter()
    counter.install()
    gateway = GatewayWatch()
    gateway.install()
    freeze_clock(as_of)
    connection.ensure_connection()
    print(f"{PROTOCOL} ready", flush=True)
    run_id = int(sys.stdin.readline())
    run = BillingRun.objects.get(pk=run_id)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    seen = billing_run_work(run=run)
    if profiler is not None:
        profiler.disable()
    seconds = time.perf_counter() - started
    if profiler is not None and profile:
        profiler.dump_stats(profile)
    report = {
        "memberships": seen,
        "seconds": seconds,
        "peak_mb": peak_memory_mb(),
        "statements": counter.count,
        "connections": counter.connections,
        "charges": len(gateway.calls),
        "charging_seconds": gateway.busy_seconds(),
        "peak_in_flight": gateway.peak_in_flight,
    }
    print(f"{PROTOCOL} {json.dumps(report)}", flush=True)
    return 0


# Saved copies of the database, so every run starts from the same rows.


class Copies:
    def __init__(self, server: str | None) -> None:
        self.server = server
        self.saved: set[str] = set()
        self.folder = Path(os.environ["CARELOOP_DATA_DIR"])

    @contextmanager
    def _admin(self) -> Iterator[Any]:
        import psycopg

        assert self.server is not None
        connect, _ = server_urls(self.server, BENCH_DATABASE)
        with psycopg.connect(**connect) as admin:
            yield admin

    def _sqlite_path(self, name: str | None = None) -> Path:
        from django.conf import settings

        live = Path(settings.DATABASES["default"]["NAME"])
        return live if name is None else self.folder / f"copy-{name}.sqlite3"

    def save(self, name: str) -> None:
        from django.db import connections

        connections.close_all()
        if self.server is None:
            _sqlite_copy(self._sqlite_path(), self._sqlite_path(name))
        else:
            with self._admin() as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}_{name}")
                admin.execute(
                    f"CREATE DATABASE {BENCH_DATABASE}_{name} TEMPLATE {BENCH_DATABASE} "
                    "STRATEGY FILE_COPY"
                )
        self.saved.add(name)

    def restore(self, name: str) -> None:
        from django.db import connections

        connections.close_all()
        if self.server is None:
            live = self._sqlite_path()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{live}{suffix}").unlink(missing_ok=True)
            _sqlite_copy(self._sqlite_path(name), live)
        else:
            with self._admin() as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
                admin.execute(
                    f"CREATE DATABASE {BENCH_DATABASE} TEMPLATE {BENCH_DATABASE}_{name} "
                    "STRATEGY FILE_COPY"
                )

    def drop_all(self) -> None:
        if self.server is None:
            return  # the temporary folder goes with them
        with self._admin() as admin:
            for name in self.saved:
                admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE}_{name} WITH (FORCE)")


def _sqlite_copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


# One timed run.


@dataclass
class WorkerReport:
    memberships: int
    seconds: float
    peak_mb: float
    statements: int
    connections: int
    charges: int
    charging_seconds: float
    peak_in_flight: int


@dataclass
class RunReport:
    workers: int
    concurrency: int
    latency_ms: int
    prepare: float = 0.0
    work: float = 0.0
    close: float = 0.0
    memberships: int = 0
    invoices: int = 0
    invoices_by_run: int = 0
    charges_succeeded: int = 0
    charges_failed: int = 0
    errors: int = 0
    still_due: int = 0
    worker_reports: list[WorkerReport] = field(default_factory=list)

    @property
    def total(self) -> float:
        return self.prepare + self.work + self.close

    @property
    def charges(self) -> int:
        return self.charges_succeeded + self.charges_failed


class Worker:
    def __init__(self, *, as_of: date, environment: dict[str, str], profile: Path | None) -> None:
        command = [sys.executable, "-m", "bench.billing_run", "--worker", "--as-of", str(as_of)]
        if profile is not None:
            command += ["--profile", str(profile)]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def _message(self) -> str:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(PROTOCOL):
                return line.removeprefix(PROTOCOL).strip()
        raise SystemExit(f"a billing worker stopped with status {self.process.wait()}")

    def wait_ready(self) -> None:
        if self._message() != "ready":
            raise SystemExit("a billing worker did not start")

    def start(self, run_id: int) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{run_id}\n")
        self.process.stdin.flush()

    def result(self) -> WorkerReport:
        report = WorkerReport(**json.loads(self._message()))
        self.process.wait()
        return report


def timed_run(
    *,
    as_of: date,
    workers: int,
    concurrency: int,
    latency_ms: int,
    profile: Path | None,
) -> RunReport:
    """One billing run as `billing_run` does it, its work shared by `workers` processes."""
    from django.conf import settings
    from django.db import connections

    from careloop.billing.models import BillingRun, Invoice, MembershipBilling
    from careloop.billing.services.runs import billing_run_close, billing_run_prepare

    settings.BILLING_CHARGE_CONCURRENCY = concurrency
    settings.SANDBOX_LATENCY_MS = latency_ms
    environment = dict(os.environ)
    environment["CARELOOP_BILLING_CHARGE_CONCURRENCY"] = str(concurrency)
    environment["CARELOOP_SANDBOX_LATENCY_MS"] = str(latency_ms)
    connections.close_all()
    pool = [
        Worker(
            as_of=as_of,
            environment=environment,
            profile=None if profile is None else profile / f"worker-{number}-of-{workers}.prof",
        )
        for number in range(1, workers + 1)
    ]
    for worker in pool:
        worker.wait_ready()
    report = RunReport(workers=workers, concurrency=concurrency, latency_ms=latency_ms)

    started = time.perf_counter()
    run = billing_run_prepare(as_of=as_of)
    prepared = time.perf_counter()
    for worker in pool:
        worker.start(run.pk)
    report.worker_reports = [worker.result() for worker in pool]
    worked = time.perf_counter()
    run = billing_run_close(run=run)
    closed = time.perf_counter()

    report.prepare = prepared - started
    report.work = worked - prepared
    report.close = closed - worked
    report.memberships = run.memberships_seen
    report.invoices = Invoice.objects.count()
    report.invoices_by_run = run.invoices_issued
    report.charges_succeeded = run.charges_succeeded
    report.charges_failed = run.charges_failed
    report.errors = run.errors
    report.still_due = MembershipBilling.objects.filter(next_bill_on__lte=as_of).count()
    if run.errors:
        print(f"  the run recorded {run.errors} errors; last: {run.last_error}", file=sys.stderr)
    assert BillingRun.objects.filter(pk=run.pk, status="finished").exists()
    return report


# The plain-SQL baseline: the same rows, written without Careloop's code.


@dataclass
class TableRows:
    table: str
    columns: list[str]
    rows: list[tuple[Any, ...]]


@dataclass
class Written:
    tables: list[TableRows]
    billing_updates: list[tuple[Any, ...]]
    other_rows: dict[str, int]

    @property
    def row_count(self) -> int:
        return sum(len(table.rows) for table in self.tables) + len(self.billing_updates)


def rows_written(*, seeded_before: datetime) -> Written:
    """Every row the run wrote to the tables the baseline writes, read back in id order."""
    from django.db import connection

    from careloop.audit.models import AuditEvent
    from careloop.billing.models import (
        BillingRun,
        Invoice,
        InvoiceLine,
        JournalEntry,
        JournalLine,
        MembershipBilling,
        Notice,
        PaymentAttempt,
        SandboxRecord,
    )
    from careloop.memberships.models import StatusChange
    from careloop.notifications.models import OutboxMessage

    tables = []
    with connection.cursor() as cursor:
        for model in (BillingRun, Invoice, InvoiceLine, PaymentAttempt, JournalEntry, JournalLine):
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            tables.append(TableRows(table, columns, [tuple(row) for row in cursor.fetchall()]))
        cursor.execute(
            f"SELECT billed_through, next_bill_on, paused_fee_through, updated_at, id "  # noqa: S608
            f"FROM {MembershipBilling._meta.db_table} WHERE updated_at > %s ORDER BY id",
            [seeded_before],
        )
        updates = [tuple(row) for row in cursor.fetchall()]
    others = {
        "audit events": AuditEvent.objects.count(),
        "sandbox gateway records": SandboxRecord.objects.count(),
        "membership status changes": StatusChange.objects.filter(
            recorded_at__gt=seeded_before
        ).count(),
        "notices": Notice.objects.count(),
        "outbox messages": OutboxMessage.objects.count(),
    }
    return Written(tables, updates, others)


def baseline_write(written: Written) -> float:
    """Seconds to write `written` in one transaction: COPY on PostgreSQL, executemany on SQLite."""
    from django.db import connection, transaction

    from careloop.billing.models import MembershipBilling

    table = MembershipBilling._meta.db_table
    update = (
        f"UPDATE {table} SET billed_through = %s, next_bill_on = %s, "  # noqa: S608
        "paused_fee_through = %s, updated_at = %s WHERE id = %s"
    )
    connection.ensure_connection()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for rows in written.tables:
            if not rows.rows:
                continue
            names = ", ".join(rows.columns)
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {rows.table} ({names}) FROM STDIN") as copy:
                    for row in rows.rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(rows.columns))
                cursor.executemany(
                    f"INSERT INTO {rows.table} ({names}) VALUES ({marks})",  # noqa: S608
                    rows.rows,
                )
        cursor.executemany(update, written.billing_updates)
    return time.perf_counter() - started


# Reporting.


def print_run(report: RunReport, title: str) -> None:
    rate = report.memberships / report.total if report.total else 0.0
    print(f"\n{title}")
    print(
        f"  memberships {report.memberships:,}  invoices {report.invoices:,} "
        f"({report.invoices_by_run:,} counted by the run)  charges {report.charges:,} "
        f"({report.charges_succeeded:,} paid, {report.charges_failed:,} declined)  "
        f"errors {report.errors}  still due {report.still_due}"
    )
    print(
        f"  wall {report.total:.1f} s = prepare {report.prepare:.1f} + work {report.work:.1f} "
        f"+ close {report.close:.1f};  {rate:,.1f} memberships/s"
    )
    for number, worker in enumerate(report.worker_reports, start=1):
        per = worker.statements / worker.memberships if worker.memberships else 0.0
        print(
            f"  worker {number}: {worker.memberships:,} memberships in {worker.seconds:.1f} s, "
            f"peak memory {worker.peak_mb:.0f} MB, {worker.statements:,} statements "
            f"({per:.1f} per membership), {worker.connections:,} connections opened"
        )


def print_latency(report: RunReport) -> None:
    ideal = report.concurrency / (report.latency_ms / 1000)
    worker = report.worker_reports[0]
    overall = report.charges / report.work if report.work else 0.0
    charging = worker.charges / worker.charging_seconds if worker.charging_seconds else 0.0
    print(
        f"  charges in flight at once: up to {worker.peak_in_flight}; "
        f"{charging:.1f} charges/s while charging ({worker.charging_seconds:.1f} s), "
        f"{overall:.1f}/s over the whole work step"
    )
    print(
        f"  concurrency / latency = {ideal:.0f}/s: {charging / ideal:.0%} of it while charging; "
        f"one charge at a time would be {1000 / report.latency_ms:.0f}/s"
    )


def print_profile(folder: Path) -> None:
    for path in sorted(folder.glob("worker-*.prof")):
        print(f"\nProfile {path.name}, top 30 by own time:")
        pstats.Stats(str(path)).sort_stats("tottime").print_stats(30)
        print(f"\nProfile {path.name}, top 40 by cumulative time:")
        pstats.Stats(str(path)).sort_stats("cumulative").print_stats(40)


# The benchmark.


def analyze_seeded() -> None:
    """Gather the planner's statistics as autovacuum would have: for the tables holding rows.

    A table analyzed while empty is planned as tiny until it is analyzed again, and a
    worker keeps the plans of its foreign-key checks for its whole session: analyzed empty,
    the invoice, journal and attempt tables the run fills made every check on them a
    sequential scan (139 memberships/s at 10,000, slower the longer the run). Left
    unanalyzed, as a new clinic's tables are until autovacuum first visits them, they are
    planned as ten pages and the checks use their primary keys. The benchmark server runs
    with autovacuum off, so nothing would analyze them during the run.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
            return
        cursor.execute("SELECT relname FROM pg_stat_user_tables WHERE n_live_tup > 0")
        tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _counts(text: str) -> list[int]:
    values = [int(part) for part in text.split(",") if part.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("give counts of 1 or more, separated by commas")
    return values


def run(arguments: argparse.Namespace, server: str | None) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    as_of: date = arguments.as_of
    copies = Copies(server)
    profile: Path | None = arguments.profile
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        freeze_clock(as_of)
        if arguments.latency_memberships:
            copies.save("migrated")
        seeded = seed_due_memberships(
            count=arguments.memberships, as_of=as_of, rng=random.Random(arguments.seed)
        )
        analyze_seeded()
        copies.save("seeded")
        seeded_before = datetime.combine(as_of, clock_time(0), tzinfo=settings_zone())
        print(f"Seeded in {time.perf_counter() - started:.1f} s: {describe(seeded)}")
        print(f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"Database: {database_version()}")
        print(f"Run as of {as_of.isoformat()}")

        concurrency = settings.BILLING_CHARGE_CONCURRENCY
        reports = []
        written: Written | None = None
        for position, workers in enumerate(arguments.workers):
            if position:
                copies.restore("seeded")
            report = timed_run(
                as_of=as_of,
                workers=workers,
                concurrency=concurrency,
                latency_ms=0,
                profile=profile,
            )
            reports.append(report)
            print_run(
                report,
                f"Billing run, {workers} worker{'s' if workers > 1 else ''}, "
                f"{concurrency} charges in flight per worker, no gateway latency:",
            )
            if written is None:
                written = rows_written(seeded_before=seeded_before)

        if written is not None and not arguments.no_baseline:
            copies.restore("seeded")
            seconds = baseline_write(written)
            fastest = min(report.total for report in reports)
            print(
                f"\nPlain-SQL baseline: {written.row_count:,} rows "
                f"({', '.join(f'{len(t.rows):,} {t.table}' for t in written.tables)}, "
                f"{len(written.billing_updates):,} billing updates) in {seconds:.1f} s, "
                f"{'COPY' if server else 'executemany'} in one transaction"
            )
            print(
                "  also written by the run, not by the baseline: "
                + ", ".join(f"{count:,} {name}" for name, count in written.other_rows.items())
            )
            for report in reports:
                print(
                    f"  run with {report.workers} worker(s) / baseline: "
                    f"{report.total / seconds:.1f} (work only {report.work / seconds:.1f})"
                )
            if fastest:
                print(f"  best run / baseline: {fastest / seconds:.1f}")
            written = None

        if arguments.latency_memberships:
            copies.restore("migrated")
            freeze_clock(as_of)
            seed_due_memberships(
                count=arguments.latency_memberships, as_of=as_of, rng=random.Random(arguments.seed)
            )
            analyze_seeded()
            copies.save("latency")
            for position, concurrency in enumerate(arguments.latency_concurrency):
                if position:
                    copies.restore("latency")
                report = timed_run(
                    as_of=as_of,
                    workers=1,
                    concurrency=concurrency,
                    latency_ms=GATEWAY_LATENCY_MS,
                    profile=None,
                )
                print_run(
                    report,
                    f"Latency run: {arguments.latency_memberships:,} memberships, 1 worker, "
                    f"{GATEWAY_LATENCY_MS} ms per charge, {concurrency} charges in flight:",
                )
                print_latency(report)
        if profile is not None:
            print_profile(profile)
    finally:
        from django.db import connections

        connections.close_all()
        copies.drop_all()


def settings_zone() -> Any:
    from careloop.core import clock

    return clock.clinic_zone()


def describe(seeded: Seeded) -> str:
    return (
        f"{seeded.memberships:,} memberships ({seeded.monthly:,} monthly, {seeded.annual:,} "
        f"annual, {seeded.households:,} households), {seeded.patients:,} patients, "
        f"{seeded.declining_cards:,} declining cards, {seeded.scheduled_changes:,} changes due"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--memberships", type=int, default=100_000)
    parser.add_argument(
        "--workers", type=_counts, default=[1, 2], help="worker processes per run, e.g. 1,2"
    )
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    parser.add_argument("--postgres", action="store_true", help=f"use {DEFAULT_SERVER}")
    parser.add_argument("--database-url", help="a PostgreSQL server to create the database on")
    parser.add_argument(
        "--latency-memberships",
        type=int,
        default=2_000,
        help="memberships in the gateway latency run (0: skip it)",
    )
    parser.add_argument("--latency-concurrency", type=_counts, default=[8, 16])
    parser.add_argument("--no-baseline", action="store_true", help="skip the plain-SQL baseline")
    parser.add_argument("--profile", type=Path, help="a folder for each worker's cProfile stats")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.worker:
        return worker_main(arguments.as_of, str(arguments.profile) if arguments.profile else None)
    if arguments.memberships < 1:
        parser.error("--memberships must be 1 or more")
    if arguments.profile is not None:
        arguments.profile = arguments.profile.resolve()
        arguments.profile.mkdir(parents=True, exist_ok=True)
    server = arguments.database_url or (DEFAULT_SERVER if arguments.postgres else None)
    os.environ.setdefault("CARELOOP_LOG_LEVEL", "WARNING")
    run_in_throwaway_database(
        server=server, database=BENCH_DATABASE, run=lambda: run(arguments, server)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
