"""Writing many rows' changed fields in one statement, without Django's per-row expressions.

`QuerySet.bulk_update` builds a Case/When expression per row and field and resolves each in
Python; for a billing batch of a hundred invoices that compiling cost more than the rest of
the batch's writes. `rows_update` writes the same UPDATE as plain SQL: a field with one value
across the rows is set once, a field whose values differ by a CASE on the primary key.
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

# Rows per statement: well under SQLite's oldest bound on parameters (999) for a few fields.
CHUNK = 200


def rows_update(rows: Sequence[Model], fields: Sequence[str]) -> None:
    """Save `fields` of `rows` (all of one model), as `bulk_update(rows, fields)` would."""
    if not rows:
        return
    meta = rows[0]._meta
    quote = connection.ops.quote_name
    assert meta.pk is not None
    primary_key = quote(meta.pk.column)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        assignments: list[str] = []
        parameters: list[Any] = []
        for name in fields:
            field = meta.get_field(name)
            assert isinstance(field, Field)
            assert field.column is not None
            values = [
                field.get_db_prep_save(getattr(row, field.attname), connection) for row in chunk
            ]
            column = quote(field.column)
            if all(value == values[0] for value in values):
                assignments.append(f"{column} = %s")
                parameters.append(values[0])
                continue
            cases = " ".join(["WHEN %s THEN %s"] * len(chunk))
            choice = f"CASE {primary_key} {cases} END"
            if connection.vendor == "postgresql":
                # Parameters in a CASE have no type of their own on PostgreSQL.
                choice = f"CAST({choice} AS {field.db_type(connection)})"
            assignments.append(f"{column} = {choice}")
            for row, value in zip(chunk, values, strict=True):
                parameters += [row.pk, value]
        keys = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} "  # noqa: S608 (names from the model, values bound)
                f"WHERE {primary_key} IN ({keys})",
                [*parameters, *(row.pk for row in chunk)],
            )
