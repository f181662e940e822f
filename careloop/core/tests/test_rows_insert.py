"""rows_insert writes the rows bulk_create would, and gives each its primary key."""

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from careloop.audit.models import AuditEvent, Outcome
from careloop.billing.models import EntryKind, JournalEntry, JournalLine, Ledger
from careloop.core.bulk import rows_insert
from careloop.core.models import Holiday, PeriodicRun

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 1, 11, 30, 15, 250_000, tzinfo=UTC)
WRITTEN = [
    "occurred_at", "actor_id", "actor_username", "actor_role", "action", "outcome",
    "patient_id", "object_type", "object_id", "ip_address", "detail", "previous_hash",
    "entry_hash",
]  # fmt: skip


def _events(first_sequence: int, count: int) -> list[AuditEvent]:
    return [
        AuditEvent(
            sequence=first_sequence + number,
            occurred_at=AT,
            actor_id=None if number % 2 else 7,
            actor_username="" if number % 2 else "front.desk",
            action="billing.payment",
            outcome=Outcome.FAILED if number % 3 == 0 else Outcome.SUCCESS,
            patient_id=number,
            object_type="invoice",
            object_id=str(number),
            ip_address=[None, "203.0.113.9", "2001:db8::1"][number % 3],
            detail={"fields": ["status", "amount_paid"], "number": number, "note": "ünïcode"},
            previous_hash="a" * 64,
            entry_hash=f"{number:064d}",
        )
        for number in range(count)
    ]


def _stored(sequences: range) -> list[tuple[object, ...]]:
    return list(
        AuditEvent.objects.filter(sequence__in=sequences).order_by("sequence").values_list(*WRITTEN)
    )


def test_the_rows_read_back_as_the_same_rows_written_by_bulk_create() -> None:
    inserted = rows_insert(_events(1, 6))
    AuditEvent.objects.bulk_create(_events(101, 6))

    assert _stored(range(1, 7)) == _stored(range(101, 107))
    assert [event.pk for event in inserted] == sorted(
        AuditEvent.objects.filter(sequence__lte=6).values_list("pk", flat=True)
    )
    assert all(not event._state.adding for event in inserted)
    stored = AuditEvent.objects.get(sequence=5)
    assert (stored.occurred_at, stored.ip_address, stored.outcome) == (AT, "203.0.113.9", "success")
    assert stored.detail == {"fields": ["status", "amount_paid"], "number": 4, "note": "ünïcode"}


def test_more_rows_than_one_statement_may_carry_are_inserted_in_parts_each_with_its_key() -> None:
    inserted = rows_insert(_events(1, 1_200))

    keys = [event.pk for event in inserted]
    assert len(set(keys)) == 1_200
    assert AuditEvent.objects.count() == 1_200
    assert AuditEvent.objects.get(pk=keys[777]).sequence == 778


def test_a_row_assigned_before_it_was_inserted_is_referred_to_by_its_new_key() -> None:
    entry = JournalEntry(kind=EntryKind.INVOICE, key="invoice:1", currency="USD", occurred_at=AT)
    lines = [
        JournalLine(entry=entry, ledger=Ledger.CASH, amount=12_000),
        JournalLine(entry=entry, ledger=Ledger.REVENUE, amount=-12_000),
    ]

    rows_insert([entry])
    rows_insert(lines)

    assert entry.pk is not None
    assert list(entry.lines.order_by("id").values_list("ledger", "amount")) == [
        (Ledger.CASH, 12_000),
        (Ledger.REVENUE, -12_000),
    ]


def test_no_rows_insert_nothing() -> None:
    assert rows_insert([]) == []


def test_dates_and_date_times_given_in_other_forms_are_stored_as_the_field_takes_them() -> None:
    holidays = [
        Holiday(date=date(2026, 12, 25), name="Christmas Day"),
        Holiday(date=datetime(2026, 12, 26, 9, 30), name="Boxing Day"),
        Holiday(date="2027-01-01", name="New Year's Day"),
    ]
    naive = datetime(2026, 12, 1, 6, 0)
    runs = [PeriodicRun(name="billing", slot_start=naive, enqueued_at=AT)]

    rows_insert(holidays)
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        rows_insert(runs)

    assert list(Holiday.objects.order_by("date").values_list("date", flat=True)) == [
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2027, 1, 1),
    ]
    stored = PeriodicRun.objects.get()
    assert stored.slot_start == timezone.make_aware(naive)
    assert stored.enqueued_at == AT


def test_text_that_array_syntax_would_have_to_escape_is_stored_as_given() -> None:
    awkward = ['say "hello"', "back\\slash", "a, b", "{braces}", "NULL", "", "line\nbreak"]
    inserted = rows_insert(
        [Holiday(date=date(2026, 12, day), name=name) for day, name in enumerate(awkward, start=1)]
    )

    assert [holiday.pk for holiday in inserted] == sorted(
        Holiday.objects.values_list("pk", flat=True)
    )
    assert list(Holiday.objects.order_by("date").values_list("name", flat=True)) == awkward
