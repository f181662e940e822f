"""Availability search and booking latency with two years of appointments.

    .venv/bin/python -m bench.scheduling [--providers 20] [--searches 200] [--bookings 200]
        [--postgres | --database-url postgres://postgres@127.0.0.1:5432/postgres]

A throwaway database (SQLite in a temporary folder, or careloop_bench_scheduling on the
PostgreSQL server, dropped afterwards) gets two locations, 20 providers working weekdays
8:00-17:00 with a lunch hour (half the week at each location), 5,000 synthetic patients and
two years of 30-minute visits (the year before the clock's day and the year after, about 12 a
provider a day, bulk-inserted, not timed). Then it times, through the same functions the API
calls, availability searches for one type across all 20 providers and both locations over 4
weeks (`available_slots`), and bookings of free slots (`appointment_book`, each in its own
transaction with the calendar lock, the overlap check and, on PostgreSQL, the exclusion
constraint). Targets (the scheduling issue): search p95 under 50 ms, booking p95 under 100 ms.
"""

import argparse
import gc
import os
import platform
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

from bench.patient_search import database_version, percentile
from bench.throwaway import DEFAULT_SERVER, cpu_model, run_in_throwaway_database

BENCH_DATABASE = "careloop_bench_scheduling"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # Monday June 1 2026, 8:00 in New York
SEARCH_DAYS = 28
VISIT_MINUTES = 30
VISITS_PER_DAY = 12
WARM_UP = 10


def seed(providers: int, rng: random.Random) -> int:
    """The calendar, patients and two years of visits; returns how many visits."""
    from careloop.accounts.roles import Role
    from careloop.core.models import ClinicSettings
    from careloop.patients.models import Patient
    from careloop.scheduling.localtime import instant
    from careloop.scheduling.models import (
        Appointment,
        AppointmentType,
        Break,
        Location,
        WorkingHours,
    )
    from careloop.testing.factories import make_user

    ClinicSettings.objects.update_or_create(id=1, defaults={"time_zone": "America/New_York"})
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")
    places = [
        Location.objects.create(name="Midtown", address="1 Example Plaza"),
        Location.objects.create(name="Riverside", address="2 Example Row"),
    ]
    kind = AppointmentType.objects.create(name="Check-in", duration_minutes=VISIT_MINUTES)
    staff = [
        make_user(role=Role.PROVIDER, username=f"provider{number:02d}", last_name=f"P{number:02d}")
        for number in range(providers)
    ]
    hours, breaks = [], []
    for number, person in enumerate(staff):
        for weekday in range(5):
            place = places[(weekday + number) % 2 if weekday < 4 else number % 2]
            hours.append(
                WorkingHours(
                    provider=person,
                    location=place,
                    weekday=weekday,
                    start_time=clock_time(8),
                    end_time=clock_time(17),
                )
            )
            breaks.append(
                Break(
                    provider=person,
                    location=place,
                    weekday=weekday,
                    start_time=clock_time(12),
                    end_time=clock_time(13),
                )
            )
    WorkingHours.objects.bulk_create(hours)
    Break.objects.bulk_create(breaks)
    where = {(row.provider_id, row.weekday): row.location_id for row in hours}

    created = NOW - timedelta(days=400)
    Patient.objects.bulk_create(
        Patient(
            legal_given_name=f"Patient{number}",
            legal_family_name="Example",
            date_of_birth=date(1970, 1, 1) + timedelta(days=number),
            sex_at_birth="unknown",
            email=f"patient{number}@example.invalid",
            search_given=f"patient{number}",
            search_family="example",
            search_preferred="",
            search_phone="",
            search_email=f"patient{number}@example.invalid",
            created_at=created,
            updated_at=created,
        )
        for number in range(5000)
    )
    patient_ids = list(Patient.objects.values_list("id", flat=True))
    # The morning's slots and the afternoon's (lunch 12-13), of which VISITS_PER_DAY are taken.
    starts = [clock_time(8 + minute // 60, minute % 60) for minute in range(0, 240, 30)] + [
        clock_time(13 + minute // 60, minute % 60) for minute in range(0, 240, 30)
    ]
    total = 0
    batch: list[Appointment] = []
    day = NOW.date() - timedelta(days=365)
    last = NOW.date() + timedelta(days=365)
    while day <= last:
        if day.weekday() < 5:
            for person in staff:
                for start in rng.sample(starts, VISITS_PER_DAY):
                    begins = instant(day, start, zone)
                    ends = begins + timedelta(minutes=VISIT_MINUTES)
                    batch.append(
                        Appointment(
                            patient_id=rng.choice(patient_ids),
                            provider=person,
                            location_id=where[(person.pk, day.weekday())],
                            appointment_type=kind,
                            start_at=begins,
                            end_at=ends,
                            blocked_until=ends,
                            status="completed" if begins < NOW else "scheduled",
                            coverage="no_charge",
                            created_at=created,
                            updated_at=created,
                        )
                    )
        if len(batch) >= 5000:
            Appointment.objects.bulk_create(batch)
            total += len(batch)
            batch = []
        day += timedelta(days=1)
    Appointment.objects.bulk_create(batch)
    return total + len(batch)


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def run(arguments: argparse.Namespace) -> None:
    import django

    django.setup()
    # As careloop/wsgi.py does in the server: what is loaded at start-up stays out of the
    # collector's full passes.
    gc.freeze()
    from django.core.management import call_command

    from careloop.accounts.models import User
    from careloop.core import clock
    from careloop.patients.models import Patient
    from careloop.scheduling.availability import Slot
    from careloop.scheduling.errors import SlotTaken
    from careloop.scheduling.models import AppointmentType, Location
    from careloop.scheduling.selectors.calendars import available_slots
    from careloop.scheduling.services.booking import appointment_book

    rng = random.Random(arguments.seed)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    clock.freeze(NOW)
    visits = seed(arguments.providers, rng)
    analyze()
    print(
        f"Seeded {visits:,} visits for {arguments.providers} providers in "
        f"{time.perf_counter() - started:.1f} s"
    )
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"Database: {database_version()}")

    kind = AppointmentType.objects.get()
    today = NOW.date()

    def search(first: date) -> list[Slot]:
        return available_slots(
            appointment_type=kind,
            first_day=first,
            last_day=first + timedelta(days=SEARCH_DAYS - 1),
        )

    firsts = [today + timedelta(days=rng.randrange(1, 330)) for _ in range(arguments.searches)]
    for first in firsts[:WARM_UP]:
        search(first)
    if arguments.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for first in firsts[:20]:
            search(first)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
    timings, found = [], []
    for first in firsts:
        begun = time.perf_counter()
        slots = search(first)
        timings.append((time.perf_counter() - begun) * 1000)
        found.append(len(slots))
    print(
        f"\nAvailability, {arguments.providers} providers x 2 locations x {SEARCH_DAYS} days, "
        f"{len(timings)} searches (ms): p50 {percentile(timings, 0.5):.1f}  "
        f"p95 {percentile(timings, 0.95):.1f}  p99 {percentile(timings, 0.99):.1f}  "
        f"(target p95 under 50); {sum(found) / len(found):,.0f} free slots per search"
    )

    patients = list(Patient.objects.order_by("?")[: arguments.bookings])
    places = {place.pk: place for place in Location.objects.all()}
    people = {person.pk: person for person in User.objects.filter(role="provider")}
    free = search(today + timedelta(days=7))
    chosen = rng.sample(free, min(arguments.bookings, len(free)))
    booked, taken, booking_times = 0, 0, []
    for patient, slot in zip(patients, chosen, strict=False):
        begun = time.perf_counter()
        try:
            appointment_book(
                actor=None,
                patient=patient,
                provider=people[slot.provider_id],
                location=places[slot.location_id],
                appointment_type=kind,
                start_at=slot.start,
            )
            booked += 1
        except SlotTaken:
            taken += 1
        booking_times.append((time.perf_counter() - begun) * 1000)
    print(
        f"Booking, {len(booking_times)} bookings of free slots (ms): "
        f"p50 {percentile(booking_times, 0.5):.1f}  p95 {percentile(booking_times, 0.95):.1f}  "
        f"p99 {percentile(booking_times, 0.99):.1f}  (target p95 under 100); "
        f"{booked} booked, {taken} refused as taken"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--providers", type=int, default=20)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20260601)
    parser.add_argument("--profile", action="store_true", help="profile 20 searches first")
    parser.add_argument("--postgres", action="store_true", help=f"use {DEFAULT_SERVER}")
    parser.add_argument("--database-url", help="a PostgreSQL server to create the database on")
    arguments = parser.parse_args(argv)
    server = arguments.database_url or (DEFAULT_SERVER if arguments.postgres else None)
    run_in_throwaway_database(server=server, database=BENCH_DATABASE, run=lambda: run(arguments))
    return 0


if __name__ == "__main__":
    sys.exit(main())
