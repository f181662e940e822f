"""Patient search latency on a throwaway database of synthetic patients.

    .venv/bin/python -m bench.patient_search [--patients 100000] [--searches 500]
        [--postgres | --database-url postgres://postgres@127.0.0.1:5432/postgres] [--explain]

With --postgres or --database-url, the benchmark creates the database careloop_bench_search on
that server (the URL's own database is only used to connect) and drops it afterwards; without,
it uses a SQLite file in a temporary folder with Careloop's default SQLite settings. It
bulk-inserts synthetic patients (555 phones, .invalid emails), runs ANALYZE, then times a mix
of searches through careloop.patients.selectors.patient_search.
"""

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bench.throwaway import DEFAULT_SERVER, cpu_model, run_in_throwaway_database

BENCH_DATABASE = "careloop_bench_search"
RESULT_LIMIT = 25
WARM_UP_SEARCHES = 25

_GIVEN_NAME_TABLE = """
Aaliyah Aaron Abigail Adam Adrian Aiden Aisha Alejandro Alexander Alice Amara Amelia Ana Andrea
Andrew Ángel Anna Anthony Aria Arjun Ava Beatriz Benjamin Bianca Brandon Camila Carlos Caroline
Charlotte Chloe Christopher Chiara Daniel David Diego Dmitri Elena Eli Elijah Elizabeth Emily
Emma Erik Ethan Eva Fatima Felix François Gabriel Grace Hana Hannah Henry Hugo Ibrahim Inès
Isaac Isabella Jack Jacob James Jana Javier Jesús Jing John Jonas José Joseph Joshua Julia
Kai Kenji Laila Layla Leo Liam Lucas Lucía Luis Maya Mateo Matteo Mia Michael Mohammed Naomi
Nathan Noah Nora Olivia Omar Oscar Priya Rafael Rosa Ryan Samuel Santiago Sara Sebastián Sofia
Søren Sophia Theo Thomas Valentina Victoria William Yara Yusuf Zoë Zara
"""
GIVEN_NAMES = _GIVEN_NAME_TABLE.split()

_FAMILY_NAME_TABLE = """
Abbott Acosta Adams Ahmed Alvarez Anderson André Bailey Baker Banks Becker Bennett Björk Brown
Bui Campbell Carter Castillo Chen Clark Collins Cooper Cruz Dang Davis Díaz Dubois Edwards
Evans Fernández Fischer Flores Foster García Gómez González Gray Green Gupta Hall Hansen Harris
Hernández Hill Hoffmann Hughes Ito Jackson James Jensen Johnson Jones Kelly Khan Kim Klein
König Kowalski Kumar Lee Lewis Li Liu López Martin Martínez Meyer Miller Mitchell Moore
Morales Morgan Müller Murphy Nakamura Nguyen Novák Núñez O'Brien Ortiz Park Patel Perez Perry
Peterson Phillips Quinn Ramírez Reed Reyes Richardson Rivera Roberts Robinson Rodríguez Rossi
Russell Sánchez Santos Schmidt Schneider Scott Silva Singh Smith Sørensen Stewart Suzuki Tanaka
Taylor Thomas Thompson Torres Tran Turner Walker Wang Ward Watson Weber White Williams Wilson
Wong Wright Wu Yamamoto Young Zhang Zimmermann
"""
FAMILY_NAMES = _FAMILY_NAME_TABLE.split()

AREA_CODES = ["210", "214", "312", "415", "512", "617", "713", "737", "773", "917"]
QUERY_KINDS = ("name prefix", "two names", "date of birth", "phone prefix", "email prefix")


@dataclass(frozen=True)
class Person:
    given: str
    family: str
    date_of_birth: date
    phone: str
    email: str


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def synthetic_people(count: int, rng: random.Random) -> list[Person]:
    from careloop.patients.search import fold

    people = []
    first_day = date(1930, 1, 1)
    span = (date(2022, 12, 31) - first_day).days
    for number in range(count):
        given = rng.choice(GIVEN_NAMES)
        family = rng.choice(FAMILY_NAMES)
        local = f"{fold(given)}.{fold(family)}{number}".replace("'", "")
        people.append(
            Person(
                given=given,
                family=family,
                date_of_birth=first_day + timedelta(days=rng.randrange(span)),
                phone=f"+1{rng.choice(AREA_CODES)}555{rng.randrange(10000):04d}",
                email=f"{local}@example.invalid",
            )
        )
    return people


def insert_patients(people: list[Person]) -> None:
    from careloop.patients.models import Patient
    from careloop.patients.search import fold_search_columns

    created = datetime(2025, 1, 1, tzinfo=UTC)
    batch: list[Patient] = []
    for person in people:
        patient = Patient(
            legal_given_name=person.given,
            legal_family_name=person.family,
            date_of_birth=person.date_of_birth,
            sex_at_birth="unknown",
            email=person.email,
            mobile_phone=person.phone,
            created_at=created,
            updated_at=created,
        )
        fold_search_columns(patient)
        batch.append(patient)
        if len(batch) == 5000:
            Patient.objects.bulk_create(batch)
            batch = []
    Patient.objects.bulk_create(batch)


def make_query(kind: str, people: list[Person], rng: random.Random) -> str:
    person = rng.choice(people)
    if kind == "name prefix":
        name = rng.choice([person.given, person.family])
        return name[: rng.randint(2, 4)].lower()
    if kind == "two names":
        return f"{person.given[: rng.randint(2, 4)]} {person.family[: rng.randint(2, 5)]}"
    if kind == "date of birth":
        day = person.date_of_birth
        return rng.choice(
            [
                day.isoformat(),
                f"{day.month:02d}/{day.day:02d}/{day.year}",
                f"{day.month}/{day.day}/{day.year}",
            ]
        )
    if kind == "phone prefix":
        area, exchange, line = person.phone[2:5], person.phone[5:8], person.phone[8:]
        return rng.choice(
            [
                f"({area}) {exchange}-{line[:2]}",
                f"{area}{exchange}{line[:1]}",
                f"+1 {area} {exchange} {line[:3]}",
            ]
        )
    local = person.email.split("@")[0]
    return rng.choice([local[: rng.randint(5, 9)], person.email[: len(local) + 3]])


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
        else:
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        row = cursor.fetchone()
    return str(row[0]) if row else connection.vendor


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def explain(query: str) -> str:
    from django.db import connection

    from careloop.patients.selectors import patient_search_queryset

    queryset = patient_search_queryset(query)[:RESULT_LIMIT]
    if connection.vendor == "postgresql":
        return queryset.explain(analyze=True)
    return queryset.explain()


def run(arguments: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from careloop.patients.selectors import patient_search

    rng = random.Random(arguments.seed)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    people = synthetic_people(arguments.patients, rng)
    insert_patients(people)
    analyze()
    print(f"Loaded {arguments.patients:,} patients in {time.perf_counter() - started:.1f} s")
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"Database: {database_version()}")

    kinds = [QUERY_KINDS[index % len(QUERY_KINDS)] for index in range(arguments.searches)]
    rng.shuffle(kinds)
    queries = [(kind, make_query(kind, people, rng)) for kind in kinds]
    for index in range(WARM_UP_SEARCHES):
        kind = QUERY_KINDS[index % len(QUERY_KINDS)]
        patient_search(make_query(kind, people, rng), RESULT_LIMIT)

    timings: dict[str, list[float]] = defaultdict(list)
    rows: dict[str, list[int]] = defaultdict(list)
    for kind, query in queries:
        begun = time.perf_counter()
        found = patient_search(query, RESULT_LIMIT)
        elapsed = (time.perf_counter() - begun) * 1000
        timings[kind].append(elapsed)
        rows[kind].append(len(found))

    print(f"\n{arguments.searches} searches, first {RESULT_LIMIT} results each (ms):")
    print(f"{'kind':<15} {'count':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'rows':>5}")
    every: list[float] = []
    for kind in QUERY_KINDS:
        values = timings[kind]
        every.extend(values)
        print(
            f"{kind:<15} {len(values):>5} {percentile(values, 0.50):>7.2f} "
            f"{percentile(values, 0.95):>7.2f} {percentile(values, 0.99):>7.2f} "
            f"{statistics.mean(rows[kind]):>5.1f}"
        )
    print(
        f"{'all':<15} {len(every):>5} {percentile(every, 0.50):>7.2f} "
        f"{percentile(every, 0.95):>7.2f} {percentile(every, 0.99):>7.2f}"
    )
    if arguments.explain:
        for kind in QUERY_KINDS:
            query = make_query(kind, people, rng)
            print(f"\nEXPLAIN for {kind} “{query}”:\n{explain(query)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--postgres", action="store_true", help=f"use {DEFAULT_SERVER}")
    parser.add_argument("--database-url", help="a PostgreSQL server to create the database on")
    parser.add_argument("--explain", action="store_true", help="print a query plan per kind")
    arguments = parser.parse_args(argv)
    server = arguments.database_url or (DEFAULT_SERVER if arguments.postgres else None)

    run_in_throwaway_database(server=server, database=BENCH_DATABASE, run=lambda: run(arguments))
    return 0


if __name__ == "__main__":
    sys.exit(main())
