"""A team inbox with 50,000 threads, and the SLA dashboard over a year of messages.

    .venv/bin/python -m bench.messaging [--threads 50000] [--patients 10000] [--opens 100]
        [--explain] [--postgres | --database-url postgres://postgres@127.0.0.1:5432/postgres]
        [--database-name careloop_bench_messaging]

A throwaway database (SQLite in a temporary folder, or careloop_bench_messaging on the
PostgreSQL server, dropped afterwards) gets the demo catalog (Essentials 16, Active Care 8 and
Concierge 4 business hours), an admin, six providers in one "Clinical" team and `--patients`
synthetic patients with portal accounts. Then `--threads` threads spread over the year before
the clock's now, every one in the Clinical team (the benchmark's one busy inbox): one to three
patient messages each with its response clock (the plan's target, due after that many hours),
the staff reply to most of them after a realistic delay (a few later than their target), the
patient's and the answering provider's read marks. Two thirds of the threads are open; a
tenth of the open ones still wait for a reply, most of those past due. Rows are bulk
inserted, with the columns the services would write (not timed).

Timed, through Django's test client as the browser and integrators call them:
- the team inbox's first page: GET /api/v1/messaging/threads?inbox=team (25 threads with
  their unread flags and the count), signed in as a provider; and the unassigned, mine and
  overdue inboxes the same way;
- the SLA dashboard: GET /api/v1/messaging/figures for the last 365 days, per plan and per
  person, signed in as the admin.
Targets (issue 7): the inbox's first page under 100 ms on PostgreSQL; the dashboard under
500 ms.
"""

import argparse
import gc
import os
import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.care import analyze
from bench.patient_search import database_version, percentile, synthetic_people
from bench.throwaway import DEFAULT_SERVER, cpu_model, run_in_throwaway_database

BENCH_DATABASE = "careloop_bench_messaging"
NOW = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)  # Monday June 1 2026, 11:00 in Chicago
BATCH = 2_000
WARM_UP = 5
PROVIDERS = 6
INBOXES = ("team", "unassigned", "mine", "overdue")


def seed_staff_and_catalog() -> None:
    from careloop.accounts.models import User
    from careloop.accounts.roles import Role
    from careloop.demo.catalog import demo_catalog_seed
    from careloop.messaging.models import Assignment, RoutingTarget, Topic
    from careloop.messaging.services.routing import messaging_team_save, routing_rule_save
    from careloop.testing.factories import make_user

    admin = make_user(role=Role.ADMIN, username="bench.admin")
    demo_catalog_seed(admin=admin)
    for number in range(PROVIDERS):
        make_user(role=Role.PROVIDER, username=f"provider{number}")
    team = messaging_team_save(
        actor=admin,
        name="Clinical",
        role=Role.PROVIDER,
        assignment=Assignment.ROUND_ROBIN,
        lead=User.objects.get(username="provider0"),
    )
    routing_rule_save(
        actor=admin, topic=Topic.CLINICAL_QUESTION, target=RoutingTarget.TEAM, team=team
    )


def seed_patients(count: int, rng: random.Random) -> None:
    """Patients with portal accounts (an unusable password: nobody signs in as them here)."""
    from django.db import transaction

    from careloop.accounts.models import User
    from careloop.accounts.roles import Role
    from careloop.patients.models import Patient
    from careloop.patients.search import fold_search_columns

    people = synthetic_people(count, rng)
    for first in range(0, count, BATCH):
        with transaction.atomic():
            chunk = people[first : first + BATCH]
            users = User.objects.bulk_create(
                User(
                    username=f"patient{first + index}",
                    password="!",  # noqa: S106 (unusable: Django's marker for no password)
                    role=Role.PATIENT,
                    first_name=person.given,
                    last_name=person.family,
                    email=person.email,
                    date_joined=NOW,
                )
                for index, person in enumerate(chunk)
            )
            patients = []
            for person, user in zip(chunk, users, strict=True):
                patient = Patient(
                    legal_given_name=person.given,
                    legal_family_name=person.family,
                    date_of_birth=person.date_of_birth,
                    sex_at_birth="unknown",
                    email=person.email,
                    mobile_phone=person.phone,
                    user=user,
                    created_at=NOW,
                    updated_at=NOW,
                )
                fold_search_columns(patient)
                patients.append(patient)
            Patient.objects.bulk_create(patients)


def seed_threads(count: int, rng: random.Random) -> None:
    """`count` threads over the year before NOW (see the module docstring)."""
    from django.db import transaction

    from careloop.accounts.models import User
    from careloop.memberships.models import Plan
    from careloop.messaging.models import (
        Message,
        MessageKind,
        MessagingTeam,
        ReadState,
        ResponseClock,
        Thread,
        ThreadStatus,
        Topic,
    )
    from careloop.patients.models import Patient

    team = MessagingTeam.objects.get(name="Clinical")
    providers = list(User.objects.filter(role="provider").order_by("id"))
    plans = [
        (plan.pk, plan.response_target_business_hours or 24)
        for plan in Plan.objects.filter(messaging_enabled=True).order_by("rank")
    ]
    patients = list(Patient.objects.order_by("id").values_list("id", "user_id"))
    year = timedelta(days=365)
    for first in range(0, count, BATCH):
        size = min(BATCH, count - first)
        with transaction.atomic():
            drafts = []
            for _ in range(size):
                patient_id, user_id = rng.choice(patients)
                plan_id, target = rng.choice(plans)
                started = NOW - timedelta(days=1) - (year - timedelta(days=1)) * rng.random() ** 1.3
                exchanges = rng.choice((1, 1, 2, 2, 3))
                is_open = rng.random() < 2 / 3
                waiting = is_open and rng.random() < 0.1
                assignee = None if rng.random() < 0.3 else rng.choice(providers)
                drafts.append(
                    (
                        patient_id,
                        user_id,
                        plan_id,
                        target,
                        started,
                        exchanges,
                        is_open,
                        waiting,
                        assignee,
                    )
                )
            threads = Thread.objects.bulk_create(
                Thread(
                    patient_id=patient_id,
                    topic=Topic.CLINICAL_QUESTION,
                    status=ThreadStatus.OPEN if is_open else ThreadStatus.CLOSED,
                    team=team,
                    assignee=assignee,
                    created_by_id=user_id,
                    created_at=started,
                    last_message_at=started,
                    updated_at=started,
                )
                for (patient_id, user_id, _p, _t, started, _e, is_open, _w, assignee) in drafts
            )
            messages: list[Message] = []
            clocks: list[tuple[int, int, int, datetime, datetime | None]] = []
            due: dict[int, datetime] = {}
            for thread, draft in zip(threads, drafts, strict=True):
                _patient, user_id, plan_id, target, started, exchanges, is_open, waiting, who = (
                    draft
                )
                answerer = who or rng.choice(providers)
                at = started
                for number in range(exchanges):
                    if number and at >= NOW - timedelta(hours=1):
                        break
                    messages.append(
                        Message(
                            thread=thread,
                            author_id=user_id,
                            from_patient=True,
                            kind=MessageKind.MESSAGE,
                            body="A synthetic question about the plan.",
                            sent_at=at,
                        )
                    )
                    # Most replies come within the target; about one in twelve is late.
                    late = rng.random() < 0.08
                    share = rng.uniform(1.1, 3.0) if late else rng.uniform(0.05, 0.9)
                    replied = at + timedelta(hours=target * share)
                    if is_open and (replied >= NOW or (waiting and number == exchanges - 1)):
                        clocks.append((len(messages) - 1, plan_id, target, at, None))
                        due[thread.pk] = at + timedelta(hours=target)
                        break
                    if replied >= NOW:  # a closed thread: answered before now
                        replied = at + (NOW - at) / 2
                    messages.append(
                        Message(
                            thread=thread,
                            author=answerer,
                            from_patient=False,
                            kind=MessageKind.MESSAGE,
                            body="A synthetic reply.",
                            sent_at=replied,
                        )
                    )
                    clocks.append((len(messages) - 2, plan_id, target, at, replied))
                    at = replied + timedelta(hours=rng.uniform(2, 72))
            Message.objects.bulk_create(messages)
            patient_of = {thread.pk: thread.patient_id for thread in threads}
            last_of: dict[int, Message] = {}
            last_from_patient: dict[int, Message] = {}
            for message in messages:
                last_of[message.thread_id] = message
                if message.from_patient:
                    last_from_patient[message.thread_id] = message
            ResponseClock.objects.bulk_create(
                ResponseClock(
                    message=messages[index],
                    thread_id=messages[index].thread_id,
                    patient_id=patient_of[messages[index].thread_id],
                    plan_id=plan_id,
                    target_business_hours=target,
                    started_at=started,
                    warn_at=started + timedelta(hours=target * 0.75),
                    due_at=started + timedelta(hours=target),
                    warned_at=started + timedelta(hours=target * 0.75)
                    if replied is None or replied > started + timedelta(hours=target * 0.75)
                    else None,
                    breached_at=started + timedelta(hours=target)
                    if replied is None or replied > started + timedelta(hours=target)
                    else None,
                    answered_at=replied,
                    answered_by=messages[index + 1] if replied is not None else None,
                    responder_id=messages[index + 1].author_id if replied is not None else None,
                    response_business_seconds=int((replied - started).total_seconds())
                    if replied is not None
                    else None,
                )
                for index, plan_id, target, started, replied in clocks
            )
            for thread in threads:
                last = last_of[thread.pk]
                thread.last_message_at = thread.updated_at = last.sent_at
                thread.due_at = due.get(thread.pk)
                if thread.status == ThreadStatus.CLOSED:
                    thread.closed_at = min(last.sent_at + timedelta(days=1), NOW)
            Thread.objects.bulk_update(
                threads, ["last_message_at", "updated_at", "due_at", "closed_at"]
            )
            ReadState.objects.bulk_create(
                [
                    ReadState(
                        thread_id=thread_id,
                        reader_id=message.author_id,
                        last_read_message=message,
                        read_at=message.sent_at,
                    )
                    for thread_id, message in last_from_patient.items()
                ]
                + [
                    ReadState(
                        thread_id=thread.pk,
                        reader_id=thread.assignee_id,
                        last_read_message=last_of[thread.pk],
                        read_at=last_of[thread.pk].sent_at,
                    )
                    for thread in threads
                    if thread.assignee_id is not None and rng.random() < 0.8
                ]
            )


def explain_inbox(inbox: str) -> None:
    from careloop.accounts.models import User
    from careloop.messaging.selectors.inbox import Inbox, inbox_threads

    user = User.objects.get(username="provider0")
    rows = inbox_threads(user=user, inbox=Inbox(inbox))
    print(f"\n{inbox} inbox, first page:")
    print(rows[:25].explain())
    print(f"{inbox} inbox, count:")
    print(rows.values("pk").order_by().explain())


def explain_figures(since: datetime, until: datetime) -> None:
    from careloop.messaging.selectors import figures

    for name in ("by_plan", "by_person"):
        call = getattr(figures, f"response_figures_{name}")
        timings = []
        for _ in range(5):
            begun = time.perf_counter()
            call(since=since, until=until)
            timings.append((time.perf_counter() - begun) * 1000)
        print(f"\nFigures {name}, 5 runs (ms): p50 {percentile(timings, 0.5):.1f}")


def timed(label: str, call: "object", opens: int, target: str) -> None:
    assert callable(call)
    for _ in range(WARM_UP):
        call()
    timings = []
    shown = ""
    for _ in range(opens):
        begun = time.perf_counter()
        shown = call()
        timings.append((time.perf_counter() - begun) * 1000)
    print(
        f"{label} ({shown}), {len(timings)} calls (ms): p50 {percentile(timings, 0.5):.1f}  "
        f"p95 {percentile(timings, 0.95):.1f}  p99 {percentile(timings, 0.99):.1f}  "
        f"(target {target})"
    )


def run(arguments: argparse.Namespace) -> None:
    import django

    django.setup()
    gc.freeze()
    from django.core.management import call_command

    from careloop.accounts.models import User
    from careloop.core import clock
    from careloop.messaging.models import Message, ResponseClock, Thread
    from careloop.testing.clients import signed_in_client

    rng = random.Random(arguments.seed)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    clock.freeze(NOW)
    reused = arguments.keep and Thread.objects.exists()
    if reused:
        print("Reusing the database seeded by an earlier run (--keep)")
    else:
        seed_staff_and_catalog()
        seed_patients(arguments.patients, rng)
        seed_threads(arguments.threads, rng)
    analyze()
    open_threads = Thread.objects.filter(status="open")
    print(
        f"{Thread.objects.count():,} threads ({open_threads.count():,} open, "
        f"{open_threads.filter(due_at__lte=NOW).count():,} overdue), "
        f"{Message.objects.count():,} messages and {ResponseClock.objects.count():,} response "
        f"clocks {'ready' if reused else 'seeded'} in {time.perf_counter() - started:.1f} s"
    )
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"Database: {database_version()}")
    print(f"Load average at start: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")

    # Signed in past the second factor; the frozen clock keeps the sessions from idling out.
    provider = signed_in_client(User.objects.get(username="provider0"))
    admin = signed_in_client(User.objects.get(username="bench.admin"))

    def inbox_call(inbox: str) -> "object":
        def call() -> str:
            response = provider.get(f"/api/v1/messaging/threads?inbox={inbox}")
            if response.status_code != 200:
                raise SystemExit(f"the {inbox} inbox answered {response.status_code}")
            page = response.json()
            return f"{len(page['items'])} of {page['count']:,}"

        return call

    if arguments.explain:
        for inbox in INBOXES:
            explain_inbox(inbox)
    print()
    for inbox in INBOXES:
        timed(
            f"GET /api/v1/messaging/threads?inbox={inbox}",
            inbox_call(inbox),
            arguments.opens,
            "under 100 ms on PostgreSQL" if inbox == "team" else "-",
        )

    start = (NOW - timedelta(days=364)).date()
    url = f"/api/v1/messaging/figures?start={start}&end={NOW.date()}"

    def dashboard() -> str:
        response = admin.get(url)
        if response.status_code != 200:
            raise SystemExit(f"the figures answered {response.status_code}")
        body = response.json()
        messages = sum(row["messages"] for row in body["by_plan"])
        return (
            f"{len(body['by_plan'])} plans, {len(body['by_person'])} people, {messages:,} messages"
        )

    if arguments.explain:
        since = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
        explain_figures(since, NOW)
    timed(
        "GET /api/v1/messaging/figures (365 days)",
        dashboard,
        max(10, arguments.opens // 5),
        "under 500 ms",
    )
    print(f"Load average at the end: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--threads", type=int, default=50_000)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--opens", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20260601)
    parser.add_argument(
        "--explain", action="store_true", help="plan the inbox queries; time the figures alone"
    )
    parser.add_argument("--postgres", action="store_true", help=f"use {DEFAULT_SERVER}")
    parser.add_argument("--database-url", help="a PostgreSQL server to create the database on")
    parser.add_argument(
        "--database-name", default=BENCH_DATABASE, help="the throwaway PostgreSQL database"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="PostgreSQL: keep the seeded database, and reuse it when it is there (seed once "
        "under any load, time again on a quiet machine); drop it by hand afterwards",
    )
    arguments = parser.parse_args(argv)
    server = arguments.database_url or (DEFAULT_SERVER if arguments.postgres else None)
    if arguments.keep and server is None:
        parser.error("--keep needs PostgreSQL (--postgres or --database-url)")
    run_in_throwaway_database(
        server=server,
        database=arguments.database_name,
        run=lambda: run(arguments),
        keep=arguments.keep,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
