"""values_insert writes the rows bulk_create would write for instances of the same values,
with the model's defaults for the fields not given, and returns their keys in order."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import FieldDoesNotExist

from careloop.audit.models import AuditEvent, Outcome
from careloop.billing.models import EntryKind, JournalEntry, JournalLine, Ledger
from careloop.core.bulk import values_insert
from careloop.core.models import ClinicSettings

pytestmark = pytest.mark.django_db

AT = datetime(2026, 12, 1, 11, 30, 15, 250_000, tzinfo=UTC)
ENTRY_FIELDS = ["kind", "key", "currency", "occurred_at", "memo", "invoice_id"]


def _entries(prefix: str) -> list[tuple[object, ...]]:
    return [
        (EntryKind.INVOICE, f"{prefix}:{number}", "USD", AT, f"INV-{number:06d} issued", None)
        for number in range(1, 4)
    ]


def _stored(prefix: str) -> list[tuple[object, ...]]:
    return [
        (kind, key.split(":")[1], currency, occurred_at, memo, invoice, attempt, refund)
        for kind, key, currency, occurred_at, memo, invoice, attempt, refund in (
            JournalEntry.objects.filter(key__startswith=f"{prefix}:")
            .order_by("id")
            .values_list(*ENTRY_FIELDS, "attempt_id", "refund_id")
        )
    ]


def test_the_rows_read_back_as_those_bulk_create_writes_for_the_same_values() -> None:
    keys = values_insert(JournalEntry, ENTRY_FIELDS, _entries("values"))
    JournalEntry.objects.bulk_create(
        JournalEntry(**dict(zip(ENTRY_FIELDS, row, strict=True))) for row in _entries("made")
    )

    assert _stored("values") == _stored("made")
    assert keys == list(
        JournalEntry.objects.filter(key__startswith="values:")
        .order_by("id")
        .values_list("id", flat=True)
    )


def test_lines_refer_to_entries_by_the_keys_returned() -> None:
    (entry,) = values_insert(JournalEntry, ENTRY_FIELDS, _entries("values")[:1])

    values_insert(
        JournalLine,
        ["entry_id", "ledger", "account_id", "amount"],
        [(entry, Ledger.CASH, None, 12_000), (entry, Ledger.REVENUE, None, -12_000)],
    )

    assert list(
        JournalLine.objects.filter(entry_id=entry).order_by("id").values_list("ledger", "amount")
    ) == [(Ledger.CASH, 12_000), (Ledger.REVENUE, -12_000)]


def test_a_default_that_is_a_function_gives_each_row_its_own_value() -> None:
    values_insert(
        AuditEvent,
        ["sequence", "occurred_at", "action", "outcome", "previous_hash", "entry_hash"],
        [
            (number, AT, "billing.payment", Outcome.SUCCESS, "a" * 64, f"{number:064d}")
            for number in (1, 2)
        ],
    )

    stored = list(AuditEvent.objects.order_by("sequence").values_list("detail", "ip_address"))
    assert stored == [({}, None), ({}, None)]


def test_a_model_that_stamps_its_own_fields_is_written_the_way_django_writes_it() -> None:
    ClinicSettings.objects.all().delete()

    (key,) = values_insert(ClinicSettings, ["name", "time_zone"], [("Northside", "UTC")])

    stored = ClinicSettings.objects.get(pk=key)
    assert (stored.name, stored.time_zone, stored.currency) == ("Northside", "UTC", "USD")
    assert stored.updated_at is not None
    assert stored.business_hours == ClinicSettings().business_hours


def test_an_unknown_field_is_refused_and_nothing_is_written() -> None:
    with pytest.raises(FieldDoesNotExist):
        values_insert(JournalEntry, ["kind", "keys"], [(EntryKind.INVOICE, "invoice:1")])

    assert not JournalEntry.objects.exists()


def test_no_rows_insert_nothing() -> None:
    assert values_insert(JournalEntry, ENTRY_FIELDS, []) == []
